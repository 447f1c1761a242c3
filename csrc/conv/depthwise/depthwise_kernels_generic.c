/*
 * depthwise_kernels_generic.c -- portable C row kernels of the depthwise operator (contract:
 * depthwise_kernels.h), the fallback on any CPU and the plain shape of the SIMD kernels: LANES = 4
 * partial sums per tap in bww_rows, one scalar sum per output in fwd_rows.
 */
#include "depthwise_kernels.h"

#define DW_LANES 4

#define DW_GENERIC(REAL, FWD_ROWS, BWW_ROWS, PACK_ROWS)                                                        \
    void FWD_ROWS(ck_index nrows, const REAL *in, ck_index in_rs, ck_index ntap, const ck_index *toff, \
                  const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs)                   \
    {                                                                                               \
        for (ck_index r = 0; r < nrows; ++r)                                                        \
            for (ck_index j = 0; j < ow; ++j) {                                                     \
                REAL s = bias;                                                                      \
                for (ck_index t = 0; t < ntap; ++t)                                                 \
                    s += wt[t] * in[r * in_rs + toff[t] + j];                                       \
                y[r * y_rs + j] = s;                                                                \
            }                                                                                       \
    }                                                                                               \
    void BWW_ROWS(ck_index nrows, const REAL *dy, ck_index dy_rs, ck_index ow, const REAL *in,      \
                  ck_index in_rs, ck_index ntap, const ck_index *toff, REAL *acc)                   \
    {                                                                                               \
        for (ck_index t = 0; t < ntap; ++t)                                                         \
            for (ck_index r = 0; r < nrows; ++r)                                                    \
                for (ck_index j = 0; j < ow; ++j)                                                   \
                    acc[t * DW_LANES + j % DW_LANES] += dy[r * dy_rs + j] * in[r * in_rs + toff[t] + j]; \
    }                                                                                               \
    void PACK_ROWS(REAL *dst, ck_index Jp, const REAL *src, ck_index src_rs, ck_index nrows, ck_index n, \
                   ck_index off)                                                                    \
    {                                                                                               \
        for (ck_index r = 0; r < nrows; ++r)                                                        \
            for (ck_index j = 0; j < Jp; ++j)                                                       \
                dst[r * Jp + j] = (j + off >= 0 && j + off < n) ? src[r * src_rs + j + off] : (REAL)0; \
    }

DW_GENERIC(float, ck_depthwise_fwd_rows__generic_f32, ck_depthwise_bww_rows__generic_f32,
           ck_depthwise_pack_rows__generic_f32)
DW_GENERIC(double, ck_depthwise_fwd_rows__generic_f64, ck_depthwise_bww_rows__generic_f64,
           ck_depthwise_pack_rows__generic_f64)
