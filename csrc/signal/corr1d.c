/*
 * corr1d.c -- 1-D single-channel direct cross-correlation: the portable kernels and the run-time
 * dispatch (contract: cnnkern/ck_signal.h).
 *
 *   IN  x[n], w[k] (1 <= k <= n)      OUT y[n - k + 1], overwritten
 *   y[i] = sum_{j<k} w[j] * x[i + j], summed in order j = 0..k-1 (the SIMD kernels keep that order
 *   per output element, so every ISA gives the same rounding apart from FMA contraction).
 *
 * Serial, no workspace. The SIMD bodies are in corr1d_avx2.c / corr1d_avx512.c (per-function target
 * attributes, no -m flags); which one runs is decided per call by ck_cpu_isa().
 */
#include "cnnkern/ck_signal.h"

/* The plain reference: one output at a time. Also the tail of the SIMD kernels' output range. */
void ck_signal_corr_1d__generic_f64(ck_index n, const double *x, ck_index k, const double *w, double *y)
{
    const ck_index out = n - k + 1;
    for (ck_index i = 0; i < out; ++i) {
        double acc = 0.0;
        for (ck_index j = 0; j < k; ++j)
            acc += w[j] * x[i + j];
        y[i] = acc;
    }
}

void ck_signal_corr_1d__generic_f32(ck_index n, const float *x, ck_index k, const float *w, float *y)
{
    const ck_index out = n - k + 1;
    for (ck_index i = 0; i < out; ++i) {
        float acc = 0.0f;
        for (ck_index j = 0; j < k; ++j)
            acc += w[j] * x[i + j];
        y[i] = acc;
    }
}

ck_status ck_signal_corr_1d__direct_f64(ck_index n, const double *x, ck_index k, const double *w,
                                        double *y)
{
    if (k < 1 || k > n)
        return CK_ERR_INVALID;
    ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_signal_corr_1d__avx512_f64(n, x, k, w, y);
    else if (isa >= CK_ISA_AVX2)
        ck_signal_corr_1d__avx2_f64(n, x, k, w, y);
    else
        ck_signal_corr_1d__generic_f64(n, x, k, w, y);
    return CK_OK;
}

ck_status ck_signal_corr_1d__direct_f32(ck_index n, const float *x, ck_index k, const float *w,
                                        float *y)
{
    if (k < 1 || k > n)
        return CK_ERR_INVALID;
    ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512)
        ck_signal_corr_1d__avx512_f32(n, x, k, w, y);
    else if (isa >= CK_ISA_AVX2)
        ck_signal_corr_1d__avx2_f32(n, x, k, w, y);
    else
        ck_signal_corr_1d__generic_f32(n, x, k, w, y);
    return CK_OK;
}
