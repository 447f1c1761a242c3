/*
 * kernels_avx2.c -- the pooling row kernels for AVX2 (contract: pool_kernels.h). 8 floats / 4 doubles
 * per vector; the max/min step is a compare (ordered > or <, or unordered = NaN) and a blend, so it
 * follows CK_BETTER exactly; PV_EVEN de-interleaves two loads (shuffle, then a 64-bit lane permute).
 * Called only when ck_cpu_isa() >= CK_ISA_AVX2.
 */
#include "pool_kernels.h"
#include "../pool_common.h"

#if CK_SIMD_X86
#include "cnnkern/ck_simd_avx2.h"

/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define PV_DT f32
#define PV_STEP_(best, t, pred)                                                                     \
    _mm256_blendv_ps((best), (t), _mm256_or_ps(_mm256_cmp_ps((t), (best), pred),                    \
                                               _mm256_cmp_ps((t), (t), _CMP_UNORD_Q)))
#define PV_ADD(a, b) _mm256_add_ps((a), (b))
#define PV_EVEN(p)                                                                                  \
    _mm256_castpd_ps(_mm256_permute4x64_pd(                                                         \
        _mm256_castps_pd(_mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps((p) + 8), 0x88)), 0xD8))
#include "pool_kernels_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define PV_DT f64
#define PV_STEP_(best, t, pred)                                                                     \
    _mm256_blendv_pd((best), (t), _mm256_or_pd(_mm256_cmp_pd((t), (best), pred),                    \
                                               _mm256_cmp_pd((t), (t), _CMP_UNORD_Q)))
#define PV_ADD(a, b) _mm256_add_pd((a), (b))
#define PV_EVEN(p) _mm256_permute4x64_pd(_mm256_unpacklo_pd(_mm256_loadu_pd(p), _mm256_loadu_pd((p) + 4)), 0xD8)
#include "pool_kernels_template.h"

#endif /* CK_SIMD_X86 */
