/* max_f32.c -- the float (f32) instantiation of max_impl.inc (contract: cnnkern/ck_pool.h). */
#include "../pool_common.h"
#include "../kernels/pool_kernels.h"

#define CK_T float
#define CK_ACC float  /* unweighted average accumulator (PyTorch: the element type) */
#define CK_LOCAL_IDX int32_t  /* in-window offset of CK_T's width, so compare + blend vectorise */
#define CK_MAXPOOL_FWD ck_maxpool_fwd_f32
#define CK_MINPOOL_FWD ck_minpool_fwd_f32
#define CK_MAXPOOL_BWD ck_maxpool_bwd_f32
#define CK_MINPOOL_BWD ck_minpool_bwd_f32
#define CK_MAX_UNPOOL ck_max_unpool_f32
#define CK_POOL_KSET ck_pool_kernel_set_f32
#define CK_POOL_SELECT ck_pool_select_f32

#include "max_impl.inc"
