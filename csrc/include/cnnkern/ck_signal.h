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
 *   __direct_u32  the same modulo 2^32: used when the result dtype has at most 32 bits (and for bool,
 *                 whose counts stay far below 2^32), because 32-bit multiplies vectorise (AVX2 has no
 *                 64-bit lane multiply).
 *   __direct_f64  double accumulation (the simple path for float inputs with more than 3 dims).
 *
 * 2-D fast path (cnnkern.signal's 1-D and 2-D float correlations; 1-D is one row):
 *   IN  x[out_h + kh - 1][x_pitch]   rows of at least out_w + kw - 1 valid values (zero-padded by
 *                                    Python), x_pitch >= out_w + kw - 1
 *   IN  w[kh][kw]                    dense
 *   OUT y[out_h][y_pitch]            y[r][c] = sum_{i<kh, j<kw} w[i][j] * x[r + i][c + j] for
 *                                    c < out_w, OVERWRITTEN; summed in the order (i, j) row-major.
 *   Run-time ISA dispatch (AVX-512F when ck_cpu_isa() allows it / AVX2+FMA / portable); OpenMP over
 *   blocks of output rows and, for few long rows, column chunks of >= 4096 outputs, num_threads
 *   threads (each output is computed by one thread, by the same FMA sequence); no workspace.
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
ck_status ck_signal_corr_nd__direct_u32(int ndim, const ck_index *x_shape, const uint32_t *x,
                                        const ck_index *w_shape, const uint32_t *w, uint32_t *y,
                                        int num_threads);
ck_status ck_signal_corr_nd__direct_f64(int ndim, const ck_index *x_shape, const double *x,
                                        const ck_index *w_shape, const double *w, double *y,
                                        int num_threads);

/* Per dtype DT/T = f32/float, f64/double:
 *   ck_signal_corr_2d__direct_DT       the 2-D fast path above (ISA from ck_cpu_isa()), num_threads threads;
 *   ck_signal_corr_2d__direct_isa_DT   the same with the kernel of one given ISA, serial, whatever
 *                                      ck_cpu_isa() says (for the tests, which first check that the CPU has
 *                                      the instructions); CK_ERR_INVALID when this build lacks that kernel;
 *   ck_signal_corr_2d_rows__<isa>_DT   the per-ISA bodies: output rows [row_begin, row_end), serial (same
 *                                      contract otherwise); avx2 / avx512 exist only where CK_SIMD_X86. */
#define CK_SIGNAL_CORR_2D_ARGS(T)                                                                        \
    ck_index out_h, ck_index out_w, const T *x, ck_index x_pitch, ck_index kh, ck_index kw, const T *w,  \
        T *y, ck_index y_pitch
#define CK_SIGNAL_CORR_ROWS_ARGS(T)                                                                      \
    ck_index row_begin, ck_index row_end, ck_index out_w, const T *x, ck_index x_pitch, ck_index kh,     \
        ck_index kw, const T *w, T *y, ck_index y_pitch
#define CK_SIGNAL_CORR_2D_DECLARE(DT, T)                                                                 \
    ck_status ck_signal_corr_2d__direct_##DT(CK_SIGNAL_CORR_2D_ARGS(T), int num_threads);              \
    ck_status ck_signal_corr_2d__direct_isa_##DT(ck_isa isa, CK_SIGNAL_CORR_2D_ARGS(T));               \
    void ck_signal_corr_2d_rows__generic_##DT(CK_SIGNAL_CORR_ROWS_ARGS(T));                            \
    void ck_signal_corr_2d_rows__avx2_##DT(CK_SIGNAL_CORR_ROWS_ARGS(T));                               \
    void ck_signal_corr_2d_rows__avx512_##DT(CK_SIGNAL_CORR_ROWS_ARGS(T));
CK_SIGNAL_CORR_2D_DECLARE(f32, float)
CK_SIGNAL_CORR_2D_DECLARE(f64, double)

#ifdef __cplusplus
}
#endif
#endif /* CK_SIGNAL_H */
