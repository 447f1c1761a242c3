/*
 * corr2d_avx512.c -- AVX-512F 2-D (row-pitch) direct correlation, f64 (8 lanes) and f32 (16 lanes)
 * (contract: cnnkern/ck_signal.h; body: corr2d_simd_template.h). Per-function target attribute, no
 * -m flags; called only when ck_cpu_isa() == CK_ISA_AVX512 (opt-in: CNNKERN_AVX512=1, as for the
 * direct convolution). Elsewhere these names forward to the generic kernels.
 */
#include "cnnkern/ck_signal.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include "cnnkern/ck_simd_avx512.h"

#include "cnnkern/ck_simd_f64.h"
#define CORR2D_ROWS ck_signal_corr_2d_rows__avx512_f64
#include "corr2d_simd_template.h"

#include "cnnkern/ck_simd_f32.h"
#define CORR2D_ROWS ck_signal_corr_2d_rows__avx512_f32
#include "corr2d_simd_template.h"

#else
void ck_signal_corr_2d_rows__avx512_f64(ck_index row_begin, ck_index row_end, ck_index out_w,
                                      const double *x, ck_index x_pitch, ck_index kh, ck_index kw,
                                      const double *w, double *y, ck_index y_pitch)
{
    ck_signal_corr_2d_rows__generic_f64(row_begin, row_end, out_w, x, x_pitch, kh, kw, w, y, y_pitch);
}
void ck_signal_corr_2d_rows__avx512_f32(ck_index row_begin, ck_index row_end, ck_index out_w,
                                      const float *x, ck_index x_pitch, ck_index kh, ck_index kw,
                                      const float *w, float *y, ck_index y_pitch)
{
    ck_signal_corr_2d_rows__generic_f32(row_begin, row_end, out_w, x, x_pitch, kh, kw, w, y, y_pitch);
}
#endif
