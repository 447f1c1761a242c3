/*
 * gemm_small_n_avx512.c -- the small-N GEMM (gemm_small_n.h) for AVX-512 (F, VL, BW, DQ): 8 x 3 zmm
 * accumulators, and the last few columns with the rows in the lanes (an in-register transpose of A). Compiled with the target of cnnkern/ck_simd_avx512.h only (no -m flags needed).
 */
#include "gemm_small_n.h"
#include "cnnkern/ck_simd_x86.h"

#if CK_SIMD_X86
#include "cnnkern/ck_simd_avx512.h"

/* TAIL takes up to 4 columns past the last full vector. */
#define SN_TAIL_MAX 4

/* oj = the 128-bit lane j of r0, r1, r2, r3, in that order: a 4 x 4 transpose of the vectors' 128-bit
 * lanes (SHUF: _mm512_shuffle_f32x4 or _mm512_shuffle_f64x2; imm 0x88 takes lanes 0 and 2 of each
 * operand, 0xdd lanes 1 and 3). The last step of both transposes below. */
#define CK_SN_LANES_4X4(VT, SHUF, r0, r1, r2, r3, o0, o1, o2, o3)                                        \
    do {                                                                                                \
        const VT u0_ = SHUF(r0, r1, 0x88), u1_ = SHUF(r0, r1, 0xdd);                                    \
        const VT u2_ = SHUF(r2, r3, 0x88), u3_ = SHUF(r2, r3, 0xdd);                                    \
        o0 = SHUF(u0_, u2_, 0x88);                                                                      \
        o1 = SHUF(u1_, u3_, 0x88);                                                                      \
        o2 = SHUF(u0_, u2_, 0xdd);                                                                      \
        o3 = SHUF(u1_, u3_, 0xdd);                                                                      \
    } while (0)

/* v[j][i] = v[i][j] for 16 x 16 floats: pairs of rows interleaved by 32 and by 64 bits within 128-bit
 * lanes, then a 4 x 4 transpose of the 128-bit lanes (64 shuffles). */
static inline __attribute__((always_inline)) CK_TARGET void ck_sn_transpose16_f32(__m512 v[16])
{
    __m512 a[16], b[16];
    for (int i = 0; i < 8; ++i) {
        a[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    /* b[4 g + e], 128-bit lane L: rows 4 g .. 4 g + 3 of column 4 L + e */
    for (int g = 0; g < 4; ++g) {
        const __m512d lo0 = _mm512_castps_pd(a[4 * g]), lo1 = _mm512_castps_pd(a[4 * g + 2]);
        const __m512d hi0 = _mm512_castps_pd(a[4 * g + 1]), hi1 = _mm512_castps_pd(a[4 * g + 3]);
        b[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo0, lo1));
        b[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo0, lo1));
        b[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(hi0, hi1));
        b[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(hi0, hi1));
    }
    for (int e = 0; e < 4; ++e)
        CK_SN_LANES_4X4(__m512, _mm512_shuffle_f32x4, b[e], b[4 + e], b[8 + e], b[12 + e], v[e], v[4 + e], v[8 + e],
                        v[12 + e]);
}

/* The same for 8 x 8 doubles: rows interleaved by 64 bits, then the 128-bit lanes. */
static inline __attribute__((always_inline)) CK_TARGET void ck_sn_transpose8_f64(__m512d v[8])
{
    __m512d a[8];
    for (int i = 0; i < 4; ++i) {
        a[2 * i] = _mm512_unpacklo_pd(v[2 * i], v[2 * i + 1]);     /* lane L: rows 2i, 2i+1 of column 2 L */
        a[2 * i + 1] = _mm512_unpackhi_pd(v[2 * i], v[2 * i + 1]); /* ... of column 2 L + 1 */
    }
    for (int e = 0; e < 2; ++e)
        CK_SN_LANES_4X4(__m512d, _mm512_shuffle_f64x2, a[e], a[2 + e], a[4 + e], a[6 + e], v[e], v[2 + e], v[4 + e],
                        v[6 + e]);
}

#include "cnnkern/ck_simd_f32.h"
#define MR 8
#define SMALL_N ck_gemm_small_n__avx512_f32
#define TILE ck_gemm_small_n_tile__avx512_f32
#define TAIL ck_gemm_small_n_tail__avx512_f32
#define SN_TRANSPOSE(v) ck_sn_transpose16_f32(v)
#include "gemm_small_n_template.h"
#undef SN_TRANSPOSE

#include "cnnkern/ck_simd_f64.h"
#define MR 8
#define SMALL_N ck_gemm_small_n__avx512_f64
#define TILE ck_gemm_small_n_tile__avx512_f64
#define TAIL ck_gemm_small_n_tail__avx512_f64
#define SN_TRANSPOSE(v) ck_sn_transpose8_f64(v)
#include "gemm_small_n_template.h"
#undef SN_TRANSPOSE
#undef CK_SN_LANES_4X4
#endif
