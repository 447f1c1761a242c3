/* lp_f32.c -- the float (f32) instantiation of lp_impl.inc (contract: cnnkern/ck_pool.h). */
#include "../pool_common.h"

#define CK_T float
#define CK_LPPOOL_FWD ck_lppool_fwd_f32
#define CK_LPPOOL_BWD ck_lppool_bwd_f32

#include "lp_impl.inc"
