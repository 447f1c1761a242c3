/*
 * kernels_avx2.c -- AVX2+FMA kernels of algorithm "winograd" (contract: winograd_internal.h):
 * the transforms of winograd_template.h with 8 floats / 4 doubles (channels) per vector.
 * Compiled with the target of cnnkern/ck_simd_avx2.h only; the operator calls these only when
 * ck_cpu_isa() >= CK_ISA_AVX2. Unaligned loads and stores.
 */
#include "winograd_internal.h"

#if CK_WINO_X86
#include "cnnkern/ck_simd_avx2.h"
/* the weight transform's gather and prefetch (winograd_template.h): measured on Zen 2 only, so
 * kernels_avx512.c does not define them yet */
#define WINO_GATHER_TRANSPOSE
#define WINO_PREFETCH_ROWS 24
#include "winograd_dtypes.h"
#endif
