/* fft_kernels.h -- every compiled variant of the transforms, listed once (dispatch: fft_dispatch.c). */
#ifndef CK_FFT_KERNELS_H
#define CK_FFT_KERNELS_H
#include "cnnkern/ck_fft.h"

/* Scratch layout of every transform call (ck_fft_scratch_elems): four buffers ar, ai, br, bi of
 * ck_fft__main_buf(p) REALs ([m][lanes] ping-pong, split re/im), each padded so that no two start at the
 * same address modulo 4 KiB when m is a multiple of 32 (1152, 96): a precaution against 4K aliasing
 * between the streams of a stage (no change measurable within the noise of the shared machine). */
#define CK_FFT_SCRATCH_LANES 16 /* the largest lane count of the kernels (float) */
#define CK_FFT_SCRATCH_PAD 40

static inline ck_index ck_fft__main_buf(const ck_fft_plan *p)
{
    ck_index m = p->n[0];
    if (p->n[1] > m) m = p->n[1];
    if (p->nh > m) m = p->nh;
    return m * CK_FFT_SCRATCH_LANES + CK_FFT_SCRATCH_PAD;
}


void ck_fft_forward_f32__generic(const ck_fft_plan *p, ck_index batch, const float *r, float *spec, float *scratch,
                                  const ck_index *nonzero);
void ck_fft_forward_f64__generic(const ck_fft_plan *p, ck_index batch, const double *r, double *spec, double *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_f32__generic(const ck_fft_plan *p, ck_index batch, float *spec, float *r, float *scratch);
void ck_fft_inverse_f64__generic(const ck_fft_plan *p, ck_index batch, double *spec, double *r, double *scratch);
void ck_fft_forward_f32__avx2(const ck_fft_plan *p, ck_index batch, const float *r, float *spec, float *scratch,
                                  const ck_index *nonzero);
void ck_fft_forward_f64__avx2(const ck_fft_plan *p, ck_index batch, const double *r, double *spec, double *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_f32__avx2(const ck_fft_plan *p, ck_index batch, float *spec, float *r, float *scratch);
void ck_fft_inverse_f64__avx2(const ck_fft_plan *p, ck_index batch, double *spec, double *r, double *scratch);
void ck_fft_forward_lanes_f32__generic(const ck_fft_plan *p, const float *r, float *sr, float *si, float *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_lanes_f32__generic(const ck_fft_plan *p, float *sr, float *si, float *r, float *scratch);
void ck_fft_forward_lanes_f64__generic(const ck_fft_plan *p, const double *r, double *sr, double *si, double *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_lanes_f64__generic(const ck_fft_plan *p, double *sr, double *si, double *r, double *scratch);
void ck_fft_forward_lanes_f32__avx2(const ck_fft_plan *p, const float *r, float *sr, float *si, float *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_lanes_f32__avx2(const ck_fft_plan *p, float *sr, float *si, float *r, float *scratch);
void ck_fft_forward_lanes_f64__avx2(const ck_fft_plan *p, const double *r, double *sr, double *si, double *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_lanes_f64__avx2(const ck_fft_plan *p, double *sr, double *si, double *r, double *scratch);
void ck_fft_forward_f32__avx512(const ck_fft_plan *p, ck_index batch, const float *r, float *spec, float *scratch,
                                  const ck_index *nonzero);
void ck_fft_forward_f64__avx512(const ck_fft_plan *p, ck_index batch, const double *r, double *spec, double *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_f32__avx512(const ck_fft_plan *p, ck_index batch, float *spec, float *r, float *scratch);
void ck_fft_inverse_f64__avx512(const ck_fft_plan *p, ck_index batch, double *spec, double *r, double *scratch);
void ck_fft_forward_lanes_f32__avx512(const ck_fft_plan *p, const float *r, float *sr, float *si, float *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_lanes_f32__avx512(const ck_fft_plan *p, float *sr, float *si, float *r, float *scratch);
void ck_fft_forward_lanes_f64__avx512(const ck_fft_plan *p, const double *r, double *sr, double *si, double *scratch,
                                  const ck_index *nonzero);
void ck_fft_inverse_lanes_f64__avx512(const ck_fft_plan *p, double *sr, double *si, double *r, double *scratch);
#endif
