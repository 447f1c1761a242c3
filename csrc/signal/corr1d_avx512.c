/*
 * corr1d_avx512.c -- AVX-512F 1-D direct correlation, f64 (8 lanes) and f32 (16 lanes)
 * (contract: cnnkern/ck_signal.h; body: corr1d_simd_template.h). Per-function target attribute, no
 * -m flags; called only when ck_cpu_isa() == CK_ISA_AVX512 (opt-in: CNNKERN_AVX512=1, as for the
 * direct convolution). Elsewhere these names forward to the generic kernels.
 */
#include "cnnkern/ck_signal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx512f")))

#define REAL double
#define VT __m512d
#define LANES 8
#define VZERO() _mm512_setzero_pd()
#define VLOAD(p) _mm512_loadu_pd(p)
#define VSTORE(p, v) _mm512_storeu_pd((p), (v))
#define VBCAST(p) _mm512_set1_pd(*(p))
#define VFMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define CORR1D ck_signal_corr_1d__avx512_f64
#include "corr1d_simd_template.h"

#define REAL float
#define VT __m512
#define LANES 16
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VBCAST(p) _mm512_set1_ps(*(p))
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define CORR1D ck_signal_corr_1d__avx512_f32
#include "corr1d_simd_template.h"

#else
void ck_signal_corr_1d__avx512_f64(ck_index n, const double *x, ck_index k, const double *w, double *y)
{
    ck_signal_corr_1d__generic_f64(n, x, k, w, y);
}
void ck_signal_corr_1d__avx512_f32(ck_index n, const float *x, ck_index k, const float *w, float *y)
{
    ck_signal_corr_1d__generic_f32(n, x, k, w, y);
}
#endif
