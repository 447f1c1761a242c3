/* adaptive_f64.c -- the double (f64) instantiation of adaptive_impl.inc (contract: cnnkern/ck_pool.h). */
#include "../pool_common.h"

#define CK_T double
#define CK_ADAPTIVE_MAXPOOL_FWD ck_adaptive_maxpool_fwd_f64
#define CK_ADAPTIVE_MAXPOOL_BWD ck_adaptive_maxpool_bwd_f64
#define CK_ADAPTIVE_AVGPOOL_FWD ck_adaptive_avgpool_fwd_f64
#define CK_ADAPTIVE_AVGPOOL_BWD ck_adaptive_avgpool_bwd_f64

#include "adaptive_impl.inc"
