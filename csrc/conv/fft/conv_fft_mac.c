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

#include "cnnkern/ck_simd_x86.h"
#define CK_MAC_X86 CK_SIMD_X86

/* ---- generic: plain C "vectors" of 1 (gcc may vectorise with the baseline ISA) ---- */
#include "cnnkern/ck_simd_generic.h"
#define MAC_R 4
#define MAC_NV 8
#include "cnnkern/ck_simd_f32.h"
#define MAC_BODY mac_body_generic_f32
#define MAC_FN ck_conv_fft_mac__generic_f32
#include "conv_fft_mac_template.h"
#include "cnnkern/ck_simd_generic.h"
#define MAC_R 4
#define MAC_NV 8
#include "cnnkern/ck_simd_f64.h"
#define MAC_BODY mac_body_generic_f64
#define MAC_FN ck_conv_fft_mac__generic_f64
#include "conv_fft_mac_template.h"

#if CK_MAC_X86
/* ---- avx2 + fma ---- */
#include "cnnkern/ck_simd_avx2.h"
#define MAC_R 4
#define MAC_NV 2
#include "cnnkern/ck_simd_f32.h"
#define MAC_BODY mac_body_avx2_f32
#define MAC_TAIL mac_tail_avx2_f32
#define MAC_FN ck_conv_fft_mac__avx2_f32
#include "conv_fft_mac_template.h"
#include "cnnkern/ck_simd_avx2.h"
#define MAC_R 4
#define MAC_NV 2
#include "cnnkern/ck_simd_f64.h"
#define MAC_BODY mac_body_avx2_f64
#define MAC_TAIL mac_tail_avx2_f64
#define MAC_FN ck_conv_fft_mac__avx2_f64
#include "conv_fft_mac_template.h"

/* ---- avx512 (F, VL, BW, DQ) ---- */
#include "cnnkern/ck_simd_avx512.h"
#define MAC_R 8
#define MAC_NV 2
#include "cnnkern/ck_simd_f32.h"
#define MAC_BODY mac_body_avx512_f32
#define MAC_TAIL mac_tail_avx512_f32
#define MAC_FN ck_conv_fft_mac__avx512_f32
#include "conv_fft_mac_template.h"
#include "cnnkern/ck_simd_avx512.h"
#define MAC_R 8
#define MAC_NV 2
#include "cnnkern/ck_simd_f64.h"
#define MAC_BODY mac_body_avx512_f64
#define MAC_TAIL mac_tail_avx512_f64
#define MAC_FN ck_conv_fft_mac__avx512_f64
#include "conv_fft_mac_template.h"
#endif

typedef void (*mac_f32)(ck_index, ck_index, ck_index, const float *, const float *, ck_index, ck_index,
                        const float *, const float *, ck_index, float *, ck_index);
typedef void (*mac_f64)(ck_index, ck_index, ck_index, const double *, const double *, ck_index, ck_index,
                        const double *, const double *, ck_index, double *, ck_index);

/* The list (best ISA first) and its table. */
#if CK_MAC_X86
#define CK_CONV_FFT_MAC_KERNELS_X86(X)                                                                   \
    X(CK_ISA_AVX512, ck_conv_fft_mac__avx512_f32, ck_conv_fft_mac__avx512_f64)                           \
    X(CK_ISA_AVX2, ck_conv_fft_mac__avx2_f32, ck_conv_fft_mac__avx2_f64)
#else
#define CK_CONV_FFT_MAC_KERNELS_X86(X)
#endif
#define CK_CONV_FFT_MAC_KERNELS(X)                                                                       \
    CK_CONV_FFT_MAC_KERNELS_X86(X)                                                                       \
    X(CK_ISA_GENERIC, ck_conv_fft_mac__generic_f32, ck_conv_fft_mac__generic_f64)
#define CK_CONV_FFT_MAC_ENTRY(isa, f32, f64) {isa, f32, f64},
static const struct {
    ck_isa isa;
    mac_f32 f32;
    mac_f64 f64;
} ck_conv_fft_mac_table[] = {CK_CONV_FFT_MAC_KERNELS(CK_CONV_FFT_MAC_ENTRY)};

void ck_conv_fft_mac_f32(ck_index M, ck_index K, ck_index n2, const float *wre, const float *wim, ck_index ldw,
                         ck_index ws, const float *x, const float *xs, ck_index ldx, float *y, ck_index ldy)
{
    CK_SELECT_ROW(ck_conv_fft_mac_table)->f32(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
}

void ck_conv_fft_mac_f64(ck_index M, ck_index K, ck_index n2, const double *wre, const double *wim, ck_index ldw,
                         ck_index ws, const double *x, const double *xs, ck_index ldx, double *y, ck_index ldy)
{
    CK_SELECT_ROW(ck_conv_fft_mac_table)->f64(M, K, n2, wre, wim, ldw, ws, x, xs, ldx, y, ldy);
}
