/* pool_f32.c -- the float (f32) instantiation of pool_impl.inc (contract: cnnkern/ck_pool.h). */
#include "cnnkern/ck_pool.h"

#define CK_T float
#define CK_ACC float          /* accumulator of the unweighted average kernels (PyTorch: float) */
#define CK_LOCAL_IDX int32_t  /* in-window offset, same width as CK_T so compare + blend vectorise */
#define CK_MAXPOOL_FWD ck_maxpool_fwd_f32
#define CK_MINPOOL_FWD ck_minpool_fwd_f32
#define CK_MAXPOOL_BWD ck_maxpool_bwd_f32
#define CK_MINPOOL_BWD ck_minpool_bwd_f32
#define CK_MAX_UNPOOL ck_max_unpool_f32
#define CK_AVGPOOL_FWD ck_avgpool_fwd_f32
#define CK_AVGPOOL_BWD ck_avgpool_bwd_f32
#define CK_LPPOOL_FWD ck_lppool_fwd_f32
#define CK_LPPOOL_BWD ck_lppool_bwd_f32
#define CK_ADAPTIVE_MAXPOOL_FWD ck_adaptive_maxpool_fwd_f32
#define CK_ADAPTIVE_MAXPOOL_BWD ck_adaptive_maxpool_bwd_f32
#define CK_ADAPTIVE_AVGPOOL_FWD ck_adaptive_avgpool_fwd_f32
#define CK_ADAPTIVE_AVGPOOL_BWD ck_adaptive_avgpool_bwd_f32

#include "pool_impl.inc"
