/*
 * fft_dispatch.c -- picks the transform variant for the CPU at each call: the first row of the list in
 * fft_kernels.h whose ISA ck_cpu_isa() allows (the same template compiled three times). Contract: cnnkern/ck_fft.h.
 */
#include "cnnkern/ck_fft.h"
#include "fft_kernels.h"

static const CK_FFT_ROW(f32) ck_fft_table_f32[] = {CK_FFT_F32_KERNELS(CK_FFT_TABLE_ENTRY)};
static const CK_FFT_ROW(f64) ck_fft_table_f64[] = {CK_FFT_F64_KERNELS(CK_FFT_TABLE_ENTRY)};

void ck_fft_forward_f32(const ck_fft_plan *p, ck_index batch, const float *r, float *spec, float *scratch,
                        const ck_index *nonzero)
{
    CK_SELECT_ROW(ck_fft_table_f32)->forward(p, batch, r, spec, scratch, nonzero);
}

void ck_fft_forward_f64(const ck_fft_plan *p, ck_index batch, const double *r, double *spec, double *scratch,
                        const ck_index *nonzero)
{
    CK_SELECT_ROW(ck_fft_table_f64)->forward(p, batch, r, spec, scratch, nonzero);
}

void ck_fft_inverse_f32(const ck_fft_plan *p, ck_index batch, float *spec, float *r, float *scratch)
{
    CK_SELECT_ROW(ck_fft_table_f32)->inverse(p, batch, spec, r, scratch);
}

void ck_fft_inverse_f64(const ck_fft_plan *p, ck_index batch, double *spec, double *r, double *scratch)
{
    CK_SELECT_ROW(ck_fft_table_f64)->inverse(p, batch, spec, r, scratch);
}

void ck_fft_forward_lanes_f32(const ck_fft_plan *p, const float *r, float *sr, float *si, float *scratch,
                              const ck_index *nonzero)
{
    CK_SELECT_ROW(ck_fft_table_f32)->forward_lanes(p, r, sr, si, scratch, nonzero);
}

void ck_fft_inverse_lanes_f32(const ck_fft_plan *p, float *sr, float *si, float *r, float *scratch)
{
    CK_SELECT_ROW(ck_fft_table_f32)->inverse_lanes(p, sr, si, r, scratch);
}

void ck_fft_forward_lanes_f64(const ck_fft_plan *p, const double *r, double *sr, double *si, double *scratch,
                              const ck_index *nonzero)
{
    CK_SELECT_ROW(ck_fft_table_f64)->forward_lanes(p, r, sr, si, scratch, nonzero);
}

void ck_fft_inverse_lanes_f64(const ck_fft_plan *p, double *sr, double *si, double *r, double *scratch)
{
    CK_SELECT_ROW(ck_fft_table_f64)->inverse_lanes(p, sr, si, r, scratch);
}
