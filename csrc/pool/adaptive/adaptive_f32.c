/* adaptive_f32.c -- the float (f32) instantiation of adaptive_impl.inc (contract: cnnkern/ck_pool.h). */
#include "../pool_common.h"

#define CK_T float
#define CK_ADAPTIVE_MAXPOOL_FWD ck_adaptive_maxpool_fwd_f32
#define CK_ADAPTIVE_MAXPOOL_BWD ck_adaptive_maxpool_bwd_f32
#define CK_ADAPTIVE_AVGPOOL_FWD ck_adaptive_avgpool_fwd_f32
#define CK_ADAPTIVE_AVGPOOL_BWD ck_adaptive_avgpool_bwd_f32

#include "adaptive_impl.inc"
