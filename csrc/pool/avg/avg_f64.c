/* avg_f64.c -- the double (f64) instantiation of avg_impl.inc (contract: cnnkern/ck_pool.h). */
#include "../pool_common.h"
#include "../kernels/pool_kernels.h"

#define CK_T double
#define CK_ACC double  /* unweighted average accumulator (PyTorch: the element type) */
#define CK_AVGPOOL_FWD ck_avgpool_fwd_f64
#define CK_AVGPOOL_BWD ck_avgpool_bwd_f64
#define CK_POOL_KSET ck_pool_kernel_set_f64
#define CK_POOL_SELECT ck_pool_select_f64

#include "avg_impl.inc"
