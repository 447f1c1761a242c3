/*
 * depthwise_kernels_avx2.c -- AVX2+FMA row kernels of the depthwise operator (contract:
 * depthwise_kernels.h): 8 floats / 4 doubles per vector, row tails by vmaskmov.
 * Compiled with __attribute__((target("avx2,fma"))) only, so the file builds without -m flags.
 */
#include "depthwise_kernels.h"

#if CK_DEPTHWISE_X86
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx2,fma")))

/* lane mask with the first n (0 < n < lanes) 32-bit / 64-bit lanes set */
static inline CK_TARGET __m256i ck_depthwise_mask32__avx2(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline CK_TARGET __m256i ck_depthwise_mask64__avx2(int n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}

/* lanes lo <= l < hi set */
static inline CK_TARGET __m256i ck_depthwise_range32__avx2(int lo, int hi)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), idx),
                               _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), idx));
}
static inline CK_TARGET __m256i ck_depthwise_range64__avx2(int lo, int hi)
{
    const __m256i idx = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_andnot_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x(lo), idx),
                               _mm256_cmpgt_epi64(_mm256_set1_epi64x(hi), idx));
}

#define REAL float
#define VT __m256
#define LANES 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VLOADN(p, n) _mm256_maskload_ps((p), ck_depthwise_mask32__avx2(n))
#define VSTOREN(p, v, n) _mm256_maskstore_ps((p), ck_depthwise_mask32__avx2(n), (v))
#define VLOADR(p, lo, hi) _mm256_maskload_ps((p), ck_depthwise_range32__avx2((lo), (hi)))
#define FWD_ROWS ck_depthwise_fwd_rows__avx2_f32
#define FWD_BODY ck_depthwise_fwd_body__avx2_f32
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx2_f32
#define BWW_ROWS ck_depthwise_bww_rows__avx2_f32
#define BWW_BODY ck_depthwise_bww_body__avx2_f32
#define PACK_ROWS ck_depthwise_pack_rows__avx2_f32
#include "depthwise_kernels_simd_template.h"

#define REAL double
#define VT __m256d
#define LANES 4
#define VZERO() _mm256_setzero_pd()
#define VLOAD(p) _mm256_loadu_pd(p)
#define VSTORE(p, v) _mm256_storeu_pd((p), (v))
#define VBCAST(x) _mm256_set1_pd(x)
#define VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define VLOADN(p, n) _mm256_maskload_pd((p), ck_depthwise_mask64__avx2(n))
#define VSTOREN(p, v, n) _mm256_maskstore_pd((p), ck_depthwise_mask64__avx2(n), (v))
#define VLOADR(p, lo, hi) _mm256_maskload_pd((p), ck_depthwise_range64__avx2((lo), (hi)))
#define FWD_ROWS ck_depthwise_fwd_rows__avx2_f64
#define FWD_BODY ck_depthwise_fwd_body__avx2_f64
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx2_f64
#define BWW_ROWS ck_depthwise_bww_rows__avx2_f64
#define BWW_BODY ck_depthwise_bww_body__avx2_f64
#define PACK_ROWS ck_depthwise_pack_rows__avx2_f64
#include "depthwise_kernels_simd_template.h"

#endif /* CK_DEPTHWISE_X86 */
