/*
 * corr1d_avx2.c -- AVX2+FMA 1-D direct correlation, f64 (4 lanes) and f32 (8 lanes)
 * (contract: cnnkern/ck_signal.h; body: corr1d_simd_template.h). Built with a per-function target
 * attribute, no -m flags; called only when ck_cpu_isa() >= CK_ISA_AVX2. Elsewhere these names forward
 * to the generic kernels so the dispatcher always links.
 */
#include "cnnkern/ck_signal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx2,fma")))

#define REAL double
#define VT __m256d
#define LANES 4
#define VZERO() _mm256_setzero_pd()
#define VLOAD(p) _mm256_loadu_pd(p)
#define VSTORE(p, v) _mm256_storeu_pd((p), (v))
#define VBCAST(p) _mm256_broadcast_sd(p)
#define VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define CORR1D ck_signal_corr_1d__avx2_f64
#include "corr1d_simd_template.h"

#define REAL float
#define VT __m256
#define LANES 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define CORR1D ck_signal_corr_1d__avx2_f32
#include "corr1d_simd_template.h"

#else
void ck_signal_corr_1d__avx2_f64(ck_index n, const double *x, ck_index k, const double *w, double *y)
{
    ck_signal_corr_1d__generic_f64(n, x, k, w, y);
}
void ck_signal_corr_1d__avx2_f32(ck_index n, const float *x, ck_index k, const float *w, float *y)
{
    ck_signal_corr_1d__generic_f32(n, x, k, w, y);
}
#endif
