/*
 * ck_simd_avx2.h -- the "avx2" instruction set (AVX2 + FMA): one target string, vector macros per dtype
 * (vocabulary: ck_simd_generic.h; masks: VMASK_T, VMASK(r) = first r lanes, VMASKLOAD(p, m),
 * VMASKSTORE(p, m, v); VTRANSPOSE(VT v[LANES]): v[j][i] = v[i][j], in registers). Code compiled with
 * it is called only after ck_cpu_isa() >= CK_ISA_AVX2.
 * Only for x86-64 gcc/clang (CK_SIMD_X86). No include guard: see ck_simd_generic.h.
 */
#include "cnnkern/ck_simd_undef.h"
#include "cnnkern/ck_simd_x86.h"

#define CK_ISA_TOKEN avx2
#define CK_TARGET_STRING "avx2,fma"
#define CK_TARGET __attribute__((target(CK_TARGET_STRING)))
#if defined(__clang__)
#define CK_TARGET_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define CK_TARGET_END _Pragma("clang attribute pop")
#else
#define CK_TARGET_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define CK_TARGET_END _Pragma("GCC pop_options")
#endif
#define CK_VBYTES 32

#define CK_F32_VT __m256
#define CK_F32_LANES 8
#define CK_F32_VZERO() _mm256_setzero_ps()
#define CK_F32_VLOAD(p) _mm256_loadu_ps(p)
#define CK_F32_VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define CK_F32_VBCAST(p) _mm256_broadcast_ss(p)
#define CK_F32_VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define CK_F32_VADD(a, b) _mm256_add_ps((a), (b))
#define CK_F32_VSUB(a, b) _mm256_sub_ps((a), (b))
#define CK_F32_VMUL(a, b) _mm256_mul_ps((a), (b))
#define CK_F32_VSET1(x) _mm256_set1_ps(x)
#define CK_F32_VHSUM(v) ck_simd_hsum__avx2_f32(v)
#define CK_F32_VMASK_T __m256i
#define CK_F32_VMASK(r) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(r)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define CK_F32_VMASKLOAD(p, m) _mm256_maskload_ps((p), (m))
#define CK_F32_VMASKSTORE(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define CK_F32_VTRANSPOSE(v) ck_simd_transpose__avx2_f32(v)

#define CK_F64_VT __m256d
#define CK_F64_LANES 4
#define CK_F64_VZERO() _mm256_setzero_pd()
#define CK_F64_VLOAD(p) _mm256_loadu_pd(p)
#define CK_F64_VSTORE(p, v) _mm256_storeu_pd((p), (v))
#define CK_F64_VBCAST(p) _mm256_broadcast_sd(p)
#define CK_F64_VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define CK_F64_VADD(a, b) _mm256_add_pd((a), (b))
#define CK_F64_VSUB(a, b) _mm256_sub_pd((a), (b))
#define CK_F64_VMUL(a, b) _mm256_mul_pd((a), (b))
#define CK_F64_VSET1(x) _mm256_set1_pd(x)
#define CK_F64_VHSUM(v) ck_simd_hsum__avx2_f64(v)
#define CK_F64_VMASK_T __m256i
#define CK_F64_VMASK(r) _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(r)), _mm256_setr_epi64x(0, 1, 2, 3))
#define CK_F64_VMASKLOAD(p, m) _mm256_maskload_pd((p), (m))
#define CK_F64_VMASKSTORE(p, m, v) _mm256_maskstore_pd((p), (m), (v))
#define CK_F64_VTRANSPOSE(v) ck_simd_transpose__avx2_f64(v)

#ifndef CK_SIMD_AVX2_HELPERS
#define CK_SIMD_AVX2_HELPERS
/* Sum of the lanes of one vector; in-register transposes (VTRANSPOSE). */
static inline __attribute__((target("avx2,fma"))) float ck_simd_hsum__avx2_f32(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline __attribute__((target("avx2,fma"))) double ck_simd_hsum__avx2_f64(__m256d v)
{
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}
/* v[j][i] = v[i][j] for 8 x 8 floats: rows interleaved by 32 and 64 bits within 128-bit lanes, then
 * the lanes swapped across pairs of rows 4 apart. */
static inline __attribute__((always_inline, target("avx2,fma"))) void ck_simd_transpose__avx2_f32(__m256 v[8])
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
static inline __attribute__((always_inline, target("avx2,fma"))) void ck_simd_transpose__avx2_f64(__m256d v[4])
{
    const __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]), t1 = _mm256_unpackhi_pd(v[0], v[1]);
    const __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]), t3 = _mm256_unpackhi_pd(v[2], v[3]);
    v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}
#endif
