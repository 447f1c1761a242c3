/* lp_f64.c -- the double (f64) instantiation of lp_impl.inc (contract: cnnkern/ck_pool.h). */
#include "../pool_common.h"

#define CK_T double
#define CK_LPPOOL_FWD ck_lppool_fwd_f64
#define CK_LPPOOL_BWD ck_lppool_bwd_f64

#include "lp_impl.inc"
