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
