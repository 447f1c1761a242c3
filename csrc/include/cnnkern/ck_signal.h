/*
 * ck_signal.h -- contract of the single-channel N-D correlation kernels behind cnnkern.signal.
 *
 * Python (cnnkern/signal.py) validates everything and reduces every scipy.signal mode to a "valid"
 * cross-correlation of an explicitly zero-padded input, so the C side sees only:
 *
 *   IN   x[x_shape[0]]...[x_shape[ndim-1]]      dense, C-contiguous
 *   IN   w[w_shape[0]]...[w_shape[ndim-1]]      dense, C-contiguous, w_shape[d] <= x_shape[d]
 *   OUT  y[y_shape[0]]...[y_shape[ndim-1]]      y_shape[d] = x_shape[d] - w_shape[d] + 1, OVERWRITTEN
 *
 *   y[o] = sum_k w[k] * x[o + k]                (no kernel flip: cross-correlation of real data)
 *
 * 1 <= ndim <= CK_SIGNAL_MAX_NDIM; every size >= 1. No workspace. num_threads >= 1 is the OpenMP team
 * size (output rows are split between threads; each output element is summed by one thread in a
 * fixed order, so the result does not depend on the thread count).
 *
 * Dtypes:
 *   __direct_u64  uint64 arithmetic, wrapping modulo 2^64. Python feeds every bool / integer input
 *                 converted to uint64 (two's complement), so the result, cast back to the integer
 *                 result dtype, equals the sum computed in that dtype with wrap-around (what
 *                 scipy.signal's direct method gives) -- addition and multiplication modulo 2^64
 *                 agree with every narrower width and with signed arithmetic modulo 2^bits.
 *   __direct_f64  double accumulation (the simple path for float inputs with more than 3 dims).
 *
 * 1-D fast path (cnnkern.signal's 1-D float64/float32 correlation):
 *   IN x[n], w[k] (k <= n), OUT y[n - k + 1] overwritten, y[i] = sum_j w[j] * x[i + j].
 *   Run-time ISA dispatch (AVX-512F / AVX2+FMA / portable), serial, no workspace.
 */
#ifndef CK_SIGNAL_H
#define CK_SIGNAL_H

#include "cnnkern/ck_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CK_SIGNAL_MAX_NDIM 64

ck_status ck_signal_corr_nd__direct_u64(int ndim, const ck_index *x_shape, const uint64_t *x,
                                        const ck_index *w_shape, const uint64_t *w, uint64_t *y,
                                        int num_threads);
ck_status ck_signal_corr_nd__direct_f64(int ndim, const ck_index *x_shape, const double *x,
                                        const ck_index *w_shape, const double *w, double *y,
                                        int num_threads);

/* 1-D: y[i] = sum_{j<k} w[j] * x[i + j] for i < n - k + 1; 1 <= k <= n. Dispatches on ck_cpu_isa(). */
ck_status ck_signal_corr_1d__direct_f64(ck_index n, const double *x, ck_index k, const double *w,
                                        double *y);
ck_status ck_signal_corr_1d__direct_f32(ck_index n, const float *x, ck_index k, const float *w,
                                        float *y);
/* The per-ISA bodies (same contract; called by the dispatchers above and by the tests). */
void ck_signal_corr_1d__generic_f64(ck_index n, const double *x, ck_index k, const double *w, double *y);
void ck_signal_corr_1d__generic_f32(ck_index n, const float *x, ck_index k, const float *w, float *y);
void ck_signal_corr_1d__avx2_f64(ck_index n, const double *x, ck_index k, const double *w, double *y);
void ck_signal_corr_1d__avx2_f32(ck_index n, const float *x, ck_index k, const float *w, float *y);
void ck_signal_corr_1d__avx512_f64(ck_index n, const double *x, ck_index k, const double *w, double *y);
void ck_signal_corr_1d__avx512_f32(ck_index n, const float *x, ck_index k, const float *w, float *y);

#ifdef __cplusplus
}
#endif
#endif /* CK_SIGNAL_H */
