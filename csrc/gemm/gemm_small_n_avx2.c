/*
 * gemm_small_n_avx2.c -- the small-N GEMM (gemm_small_n.h) for AVX2 + FMA: 4 x 3 ymm accumulators (with
 * 3 vectors of B and a broadcast: all 16 registers), and the last few columns with the rows in the
 * lanes (an in-register transpose of A). Compiled with the target of cnnkern/ck_simd_avx2.h only.
 */
#include "gemm_small_n.h"
#include "cnnkern/ck_simd_x86.h"

#if CK_SIMD_X86
#include "cnnkern/ck_simd_avx2.h"

/* TAIL takes up to 4 columns past the last full vector. */
#define SN_TAIL_MAX 4

/* v[j][i] = v[i][j] for 8 x 8 floats: rows interleaved by 32 and 64 bits within 128-bit lanes, then
 * the lanes swapped across pairs of rows 4 apart. */
static inline __attribute__((always_inline)) CK_TARGET void ck_sn_transpose8_f32(__m256 v[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    /* u[4 h + e], 128-bit lane L: rows 4 h .. 4 h + 3 of column 4 L + e */
    for (int h = 0; h < 2; ++h) {
        u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int e = 0; e < 4; ++e) {
        v[e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x20);
        v[4 + e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x31);
    }
}

/* The same for 4 x 4 doubles. */
static inline __attribute__((always_inline)) CK_TARGET void ck_sn_transpose4_f64(__m256d v[4])
{
    const __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]), t1 = _mm256_unpackhi_pd(v[0], v[1]);
    const __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]), t3 = _mm256_unpackhi_pd(v[2], v[3]);
    v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

#include "cnnkern/ck_simd_f32.h"
#define MR 4
#define SMALL_N ck_gemm_small_n__avx2_f32
#define TILE ck_gemm_small_n_tile__avx2_f32
#define TAIL ck_gemm_small_n_tail__avx2_f32
#define SN_TRANSPOSE(v) ck_sn_transpose8_f32(v)
#include "gemm_small_n_template.h"
#undef SN_TRANSPOSE

#include "cnnkern/ck_simd_f64.h"
#define MR 4
#define SMALL_N ck_gemm_small_n__avx2_f64
#define TILE ck_gemm_small_n_tile__avx2_f64
#define TAIL ck_gemm_small_n_tail__avx2_f64
#define SN_TRANSPOSE(v) ck_sn_transpose4_f64(v)
#include "gemm_small_n_template.h"
#undef SN_TRANSPOSE
#endif
