/*
 * conv_fft_mac.c -- the per-frequency complex products of the fft operator (its own kernel instead of
 * the BLAS cgemm for the small T of the operator; used by conv_fft_template.h).
 *
 * Contract (ck_conv_fft_mac_{f32,f64}; fft_internal.h):
 *   y[r][j] = sum_{c < K} W(r, c) * X[c][j]   complex, r < M, j < n2 / 2 (complex columns)
 *   W(r, c) = wre[r*ldw + c*ws] + i wim[r*ldw + c*ws]   (ws = 2, wim = wre + 1: interleaved [M][K] complex;
 *            ws = 1: split re / im planes)
 *   X interleaved complex rows x[c*ldx .. c*ldx + n2), xs the same rows "times i": xs[2j] = -x[2j+1],
 *   xs[2j+1] = x[2j] (the caller forms it once per frequency), y rows y[r*ldy ..] (REALs), overwritten.
 * So each REAL output is sum_c wre*x + wim*xs: two FMAs per REAL, no shuffles in the inner loop. Tiles
 * of MAC_R rows x MAC_NV vectors in registers; each output's sum runs over c in order, so the result
 * does not depend on the threads (the ISA and dtype only). No workspace, no threads, no globals.
 *   avx512: 8 rows x 2 vectors (16 zmm accumulators); avx2: 4 x 2 (8 ymm); generic: 4 x 8 scalars.
 * A last part of a row shorter than a vector runs as one masked vector (T = 4 tiles: 8 REALs).
 */
#include "fft_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define CK_MAC_X86 1
#include <immintrin.h>
#else
#define CK_MAC_X86 0
#endif

/* ---- generic: plain C "vectors" of 1 (gcc may vectorise with the baseline ISA) ---- */
#define CK_TARGET
#define MAC_R 4
#define MAC_NV 8
#define LANES 1
#define REAL float
#define VT float
#define VZERO() 0.0f
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VBCAST(p) (*(p))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define MAC_BODY mac_body_generic_f32
#define MAC_FN ck_conv_fft_mac_generic_f32
#include "conv_fft_mac_template.h"
#define CK_TARGET
#define MAC_R 4
#define MAC_NV 8
#define LANES 1
#define REAL double
#define VT double
#define VZERO() 0.0
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VBCAST(p) (*(p))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define MAC_BODY mac_body_generic_f64
#define MAC_FN ck_conv_fft_mac_generic_f64
#include "conv_fft_mac_template.h"

#if CK_MAC_X86
/* ---- avx2 + fma ---- */
#define CK_TARGET __attribute__((target("avx2,fma")))
#define MAC_R 4
#define MAC_NV 2
#define LANES 8
#define REAL float
#define VT __m256
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define MAC_BODY mac_body_avx2_f32
#define MAC_TAIL mac_tail_avx2_f32
#define VMASK_T __m256i
#define VMASK(rem) _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define VLOADM(p, m) _mm256_maskload_ps((p), (m))
#define VSTOREM(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define MAC_FN ck_conv_fft_mac_avx2_f32
#include "conv_fft_mac_template.h"
#define CK_TARGET __attribute__((target("avx2,fma")))
#define MAC_R 4
#define MAC_NV 2
#define LANES 4
#define REAL double
#define VT __m256d
#define VZERO() _mm256_setzero_pd()
#define VLOAD(p) _mm256_loadu_pd(p)
#define VSTORE(p, v) _mm256_storeu_pd((p), (v))
#define VBCAST(p) _mm256_broadcast_sd(p)
#define VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define MAC_BODY mac_body_avx2_f64
#define MAC_TAIL mac_tail_avx2_f64
#define VMASK_T __m256i
#define VMASK(rem) _mm256_cmpgt_epi64(_mm256_set1_epi64x(rem), _mm256_setr_epi64x(0, 1, 2, 3))
#define VLOADM(p, m) _mm256_maskload_pd((p), (m))
#define VSTOREM(p, m, v) _mm256_maskstore_pd((p), (m), (v))
#define MAC_FN ck_conv_fft_mac_avx2_f64
#include "conv_fft_mac_template.h"

/* ---- avx512 (F, VL, BW, DQ) ---- */
#define CK_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#define MAC_R 8
#define MAC_NV 2
#define LANES 16
#define REAL float
#define VT __m512
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VBCAST(p) _mm512_set1_ps(*(p))
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define MAC_BODY mac_body_avx512_f32
#define MAC_TAIL mac_tail_avx512_f32
#define VMASK_T __mmask16
#define VMASK(rem) ((__mmask16)((1u << (rem)) - 1u))
#define VLOADM(p, m) _mm512_maskz_loadu_ps((m), (p))
#define VSTOREM(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define MAC_FN ck_conv_fft_mac_avx512_f32
#include "conv_fft_mac_template.h"
#define CK_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#define MAC_R 8
#define MAC_NV 2
#define LANES 8
#define REAL double
#define VT __m512d
#define VZERO() _mm512_setzero_pd()
#define VLOAD(p) _mm512_loadu_pd(p)
#define VSTORE(p, v) _mm512_storeu_pd((p), (v))
#define VBCAST(p) _mm512_set1_pd(*(p))
#define VFMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define MAC_BODY mac_body_avx512_f64
#define MAC_TAIL mac_tail_avx512_f64
#define VMASK_T __mmask8
#define VMASK(rem) ((__mmask8)((1u << (rem)) - 1u))
#define VLOADM(p, m) _mm512_maskz_loadu_pd((m), (p))
#define VSTOREM(p, m, v) _mm512_mask_storeu_pd((p), (m), (v))
#define MAC_FN ck_conv_fft_mac_avx512_f64
#include "conv_fft_mac_template.h"
#endif

void ck_conv_fft_mac_f32(ck_index M, ck_index K, ck_index n2, const float *wre, const float *wim, ck_index ldw,
                         ck_index ws, const float *x, const float *xs, ck_index ldx, float *y, ck_index ldy)
{
#if CK_MAC_X86
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_conv_fft_mac_avx512_f32(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
    else if (isa >= CK_ISA_AVX2)
        ck_conv_fft_mac_avx2_f32(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
    else
#endif
        ck_conv_fft_mac_generic_f32(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
}

void ck_conv_fft_mac_f64(ck_index M, ck_index K, ck_index n2, const double *wre, const double *wim, ck_index ldw,
                         ck_index ws, const double *x, const double *xs, ck_index ldx, double *y, ck_index ldy)
{
#if CK_MAC_X86
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_conv_fft_mac_avx512_f64(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
    else if (isa >= CK_ISA_AVX2)
        ck_conv_fft_mac_avx2_f64(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
    else
#endif
        ck_conv_fft_mac_generic_f64(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
}
