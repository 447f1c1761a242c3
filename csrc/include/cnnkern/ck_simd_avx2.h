/*
 * ck_simd_avx2.h -- the "avx2" instruction set (AVX2 + FMA): one target string, vector macros per dtype
 * (vocabulary: ck_simd_generic.h; masks: VMASK_T, VMASK(r) = first r lanes, VMASKLOAD(p, m),
 * VMASKSTORE(p, m, v)). Code compiled with it is called only after ck_cpu_isa() >= CK_ISA_AVX2.
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

#ifndef CK_SIMD_AVX2_HSUM
#define CK_SIMD_AVX2_HSUM
/* Sum of the lanes of one vector. */
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
#endif
