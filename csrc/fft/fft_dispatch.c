/*
 * fft_dispatch.c -- picks the transform variant for the CPU at each call (ck_cpu_isa(): avx512, avx2 or
 * generic, the same template compiled three times). Contract: cnnkern/ck_fft.h.
 */
#include "cnnkern/ck_fft.h"
#include "fft_kernels.h"

void ck_fft_forward_f32(const ck_fft_plan *p, ck_index batch, const float *r, float *spec, float *scratch,
                        const ck_index *nonzero)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_forward_f32__avx512(p, batch, r, spec, scratch, nonzero);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_forward_f32__avx2(p, batch, r, spec, scratch, nonzero);
    else
        ck_fft_forward_f32__generic(p, batch, r, spec, scratch, nonzero);
}

void ck_fft_forward_f64(const ck_fft_plan *p, ck_index batch, const double *r, double *spec, double *scratch,
                        const ck_index *nonzero)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_forward_f64__avx512(p, batch, r, spec, scratch, nonzero);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_forward_f64__avx2(p, batch, r, spec, scratch, nonzero);
    else
        ck_fft_forward_f64__generic(p, batch, r, spec, scratch, nonzero);
}

void ck_fft_inverse_f32(const ck_fft_plan *p, ck_index batch, float *spec, float *r, float *scratch)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_inverse_f32__avx512(p, batch, spec, r, scratch);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_inverse_f32__avx2(p, batch, spec, r, scratch);
    else
        ck_fft_inverse_f32__generic(p, batch, spec, r, scratch);
}

void ck_fft_inverse_f64(const ck_fft_plan *p, ck_index batch, double *spec, double *r, double *scratch)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_inverse_f64__avx512(p, batch, spec, r, scratch);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_inverse_f64__avx2(p, batch, spec, r, scratch);
    else
        ck_fft_inverse_f64__generic(p, batch, spec, r, scratch);
}

void ck_fft_forward_lanes_f32(const ck_fft_plan *p, const float *r, float *sr, float *si, float *scratch, const ck_index *nonzero)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_forward_lanes_f32__avx512(p, r, sr, si, scratch, nonzero);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_forward_lanes_f32__avx2(p, r, sr, si, scratch, nonzero);
    else
        ck_fft_forward_lanes_f32__generic(p, r, sr, si, scratch, nonzero);
}

void ck_fft_inverse_lanes_f32(const ck_fft_plan *p, float *sr, float *si, float *r, float *scratch)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_inverse_lanes_f32__avx512(p, sr, si, r, scratch);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_inverse_lanes_f32__avx2(p, sr, si, r, scratch);
    else
        ck_fft_inverse_lanes_f32__generic(p, sr, si, r, scratch);
}

void ck_fft_forward_lanes_f64(const ck_fft_plan *p, const double *r, double *sr, double *si, double *scratch, const ck_index *nonzero)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_forward_lanes_f64__avx512(p, r, sr, si, scratch, nonzero);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_forward_lanes_f64__avx2(p, r, sr, si, scratch, nonzero);
    else
        ck_fft_forward_lanes_f64__generic(p, r, sr, si, scratch, nonzero);
}

void ck_fft_inverse_lanes_f64(const ck_fft_plan *p, double *sr, double *si, double *r, double *scratch)
{
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_fft_inverse_lanes_f64__avx512(p, sr, si, r, scratch);
    else if (isa >= CK_ISA_AVX2)
        ck_fft_inverse_lanes_f64__avx2(p, sr, si, r, scratch);
    else
        ck_fft_inverse_lanes_f64__generic(p, sr, si, r, scratch);
}
