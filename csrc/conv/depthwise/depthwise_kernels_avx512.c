/*
 * depthwise_kernels_avx512.c -- AVX-512 (F, VL, BW, DQ) row kernels of the depthwise operator
 * (contract: depthwise_kernels.h): 16 floats / 8 doubles per vector, row tails by mask registers.
 * Compiled with __attribute__((target(...))) only, so the file builds without -m flags.
 */
#include "depthwise_kernels.h"

#if CK_DEPTHWISE_X86
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))

#define REAL float
#define VT __m512
#define LANES 16
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VBCAST(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VLOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
#define VSTOREN(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1u), (v))
#define VLOADR(p, lo, hi) _mm512_maskz_loadu_ps((__mmask16)(((1u << (hi)) - 1u) & ~((1u << (lo)) - 1u)), (p))
#define FWD_ROWS ck_depthwise_fwd_rows__avx512_f32
#define FWD_BODY ck_depthwise_fwd_body__avx512_f32
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx512_f32
#define BWW_ROWS ck_depthwise_bww_rows__avx512_f32
#define BWW_BODY ck_depthwise_bww_body__avx512_f32
#define PACK_ROWS ck_depthwise_pack_rows__avx512_f32
#include "depthwise_kernels_simd_template.h"

#define REAL double
#define VT __m512d
#define LANES 8
#define VZERO() _mm512_setzero_pd()
#define VLOAD(p) _mm512_loadu_pd(p)
#define VSTORE(p, v) _mm512_storeu_pd((p), (v))
#define VBCAST(x) _mm512_set1_pd(x)
#define VFMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define VLOADN(p, n) _mm512_maskz_loadu_pd((__mmask8)((1u << (n)) - 1u), (p))
#define VSTOREN(p, v, n) _mm512_mask_storeu_pd((p), (__mmask8)((1u << (n)) - 1u), (v))
#define VLOADR(p, lo, hi) _mm512_maskz_loadu_pd((__mmask8)(((1u << (hi)) - 1u) & ~((1u << (lo)) - 1u)), (p))
#define FWD_ROWS ck_depthwise_fwd_rows__avx512_f64
#define FWD_BODY ck_depthwise_fwd_body__avx512_f64
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx512_f64
#define BWW_ROWS ck_depthwise_bww_rows__avx512_f64
#define BWW_BODY ck_depthwise_bww_body__avx512_f64
#define PACK_ROWS ck_depthwise_pack_rows__avx512_f64
#include "depthwise_kernels_simd_template.h"

#endif /* CK_DEPTHWISE_X86 */
