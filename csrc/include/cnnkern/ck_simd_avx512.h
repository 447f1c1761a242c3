/*
 * ck_simd_avx512.h -- the "avx512" instruction set (AVX-512 F, VL, BW, DQ: what ck_cpu_isa() checks):
 * one target string, vector macros per dtype (vocabulary: ck_simd_generic.h, ck_simd_avx2.h). Code
 * compiled with it is called only after ck_cpu_isa() >= CK_ISA_AVX512. Only for x86-64 gcc/clang
 * (CK_SIMD_X86). No include guard: see ck_simd_generic.h.
 */
#include "cnnkern/ck_simd_undef.h"
#include "cnnkern/ck_simd_x86.h"

#define CK_ISA_TOKEN avx512
#define CK_TARGET_STRING "avx2,fma,avx512f,avx512vl,avx512bw,avx512dq"
#define CK_TARGET __attribute__((target(CK_TARGET_STRING)))
#if defined(__clang__)
/* (one string literal: _Pragma does not concatenate) */
#define CK_TARGET_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,avx512f,avx512vl,avx512bw,avx512dq\"))), apply_to = function)")
#define CK_TARGET_END _Pragma("clang attribute pop")
#else
/* gcc: 512-bit vectors also for what the compiler vectorises itself inside the region */
#define CK_TARGET_BEGIN                                                                                        \
    _Pragma("GCC push_options")                                                                                \
    _Pragma("GCC target(\"avx2,fma,avx512f,avx512vl,avx512bw,avx512dq,prefer-vector-width=512\")")
#define CK_TARGET_END _Pragma("GCC pop_options")
#endif
#define CK_VBYTES 64

#define CK_F32_VT __m512
#define CK_F32_LANES 16
#define CK_F32_VZERO() _mm512_setzero_ps()
#define CK_F32_VLOAD(p) _mm512_loadu_ps(p)
#define CK_F32_VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define CK_F32_VBCAST(p) _mm512_set1_ps(*(p))
#define CK_F32_VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define CK_F32_VADD(a, b) _mm512_add_ps((a), (b))
#define CK_F32_VSUB(a, b) _mm512_sub_ps((a), (b))
#define CK_F32_VMUL(a, b) _mm512_mul_ps((a), (b))
#define CK_F32_VSET1(x) _mm512_set1_ps(x)
#define CK_F32_VHSUM(v) _mm512_reduce_add_ps(v)
#define CK_F32_VMASK_T __mmask16
#define CK_F32_VMASK(r) ((__mmask16)((1u << (r)) - 1u))
#define CK_F32_VMASKLOAD(p, m) _mm512_maskz_loadu_ps((m), (p))
#define CK_F32_VMASKSTORE(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define CK_F32_VTRANSPOSE(v) ck_simd_transpose__avx512_f32(v)

#define CK_F64_VT __m512d
#define CK_F64_LANES 8
#define CK_F64_VZERO() _mm512_setzero_pd()
#define CK_F64_VLOAD(p) _mm512_loadu_pd(p)
#define CK_F64_VSTORE(p, v) _mm512_storeu_pd((p), (v))
#define CK_F64_VBCAST(p) _mm512_set1_pd(*(p))
#define CK_F64_VFMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define CK_F64_VADD(a, b) _mm512_add_pd((a), (b))
#define CK_F64_VSUB(a, b) _mm512_sub_pd((a), (b))
#define CK_F64_VMUL(a, b) _mm512_mul_pd((a), (b))
#define CK_F64_VSET1(x) _mm512_set1_pd(x)
#define CK_F64_VHSUM(v) _mm512_reduce_add_pd(v)
#define CK_F64_VMASK_T __mmask8
#define CK_F64_VMASK(r) ((__mmask8)((1u << (r)) - 1u))
#define CK_F64_VMASKLOAD(p, m) _mm512_maskz_loadu_pd((m), (p))
#define CK_F64_VMASKSTORE(p, m, v) _mm512_mask_storeu_pd((p), (m), (v))
#define CK_F64_VTRANSPOSE(v) ck_simd_transpose__avx512_f64(v)

#ifndef CK_SIMD_AVX512_TRANSPOSE
#define CK_SIMD_AVX512_TRANSPOSE
/* VTRANSPOSE(VT v[LANES]): v[j][i] = v[i][j], in registers. */
#define CK_SIMD_AVX512_FN __attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq")))
/* oj = the 128-bit lane j of r0, r1, r2, r3, in that order: a 4 x 4 transpose of the vectors' 128-bit
 * lanes (SHUF: _mm512_shuffle_f32x4 or _mm512_shuffle_f64x2; imm 0x88 takes lanes 0 and 2 of each
 * operand, 0xdd lanes 1 and 3). The last step of both transposes below. */
#define CK_SIMD_AVX512_LANES_4X4(VT, SHUF, r0, r1, r2, r3, o0, o1, o2, o3)                              \
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
static inline __attribute__((always_inline)) CK_SIMD_AVX512_FN void
ck_simd_transpose__avx512_f32(__m512 v[16])
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
        CK_SIMD_AVX512_LANES_4X4(__m512, _mm512_shuffle_f32x4, b[e], b[4 + e], b[8 + e], b[12 + e], v[e], v[4 + e],
                                 v[8 + e], v[12 + e]);
}

/* The same for 8 x 8 doubles: rows interleaved by 64 bits, then the 128-bit lanes. */
static inline __attribute__((always_inline)) CK_SIMD_AVX512_FN void
ck_simd_transpose__avx512_f64(__m512d v[8])
{
    __m512d a[8];
    for (int i = 0; i < 4; ++i) {
        a[2 * i] = _mm512_unpacklo_pd(v[2 * i], v[2 * i + 1]);     /* lane L: rows 2i, 2i+1 of column 2 L */
        a[2 * i + 1] = _mm512_unpackhi_pd(v[2 * i], v[2 * i + 1]); /* ... of column 2 L + 1 */
    }
    for (int e = 0; e < 2; ++e)
        CK_SIMD_AVX512_LANES_4X4(__m512d, _mm512_shuffle_f64x2, a[e], a[2 + e], a[4 + e], a[6 + e], v[e], v[2 + e],
                                 v[4 + e], v[6 + e]);
}
#endif
