/* avg_f32.c -- the float (f32) instantiation of avg_impl.inc (contract: cnnkern/ck_pool.h). */
#include "../pool_common.h"
#include "../kernels/pool_kernels.h"

#define CK_T float
#define CK_ACC float  /* unweighted average accumulator (PyTorch: the element type) */
#define CK_AVGPOOL_FWD ck_avgpool_fwd_f32
#define CK_AVGPOOL_BWD ck_avgpool_bwd_f32
#define CK_POOL_KSET ck_pool_kernel_set_f32
#define CK_POOL_SELECT ck_pool_select_f32

#include "avg_impl.inc"
