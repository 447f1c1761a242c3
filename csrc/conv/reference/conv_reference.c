/*
 * conv_reference.c -- the "reference" algorithm for float32 and float64 (see the template for the
 * contract), and the bias gradient shared by every algorithm.
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_interrupt.h"

#include <assert.h>

#define REAL float
#define CONV_FWD_REFERENCE ck_conv_fwd__reference_f32
#define CONV_BWD_INPUT_REFERENCE ck_conv_bwd_input__reference_f32
#define CONV_BWD_WEIGHT_REFERENCE ck_conv_bwd_weight__reference_f32
#include "conv_reference_template.h"
#undef REAL
#undef CONV_FWD_REFERENCE
#undef CONV_BWD_INPUT_REFERENCE
#undef CONV_BWD_WEIGHT_REFERENCE

#define REAL double
#define CONV_FWD_REFERENCE ck_conv_fwd__reference_f64
#define CONV_BWD_INPUT_REFERENCE ck_conv_bwd_input__reference_f64
#define CONV_BWD_WEIGHT_REFERENCE ck_conv_bwd_weight__reference_f64
#include "conv_reference_template.h"
#undef REAL
#undef CONV_FWD_REFERENCE
#undef CONV_BWD_INPUT_REFERENCE
#undef CONV_BWD_WEIGHT_REFERENCE

/* db[k] = sum_{n, o} dy[n][k][o]; one channel per OpenMP iteration, double accumulation in
 * CK_BIAS_SUMS independent partial sums (element i of a plane goes to sum i % CK_BIAS_SUMS, the sums
 * are added in order at the end): one serial chain of dependent adds took ~14 cycles per element.
 * The order depends on the problem only, so any thread count gives the same bits. */
#define CK_BIAS_SUMS 8
#if CK_BUILD_OPENMP
#define CK_BIAS_PARALLEL _Pragma("omp parallel for num_threads(ck_team(p->num_threads, p->out_channels)) schedule(static)")
#else
#define CK_BIAS_PARALLEL
#endif
#define CK_BIAS_BODY(REAL)                                                                          \
    const ck_index plane = ck_conv_out_plane(p);                                                    \
    CK_BIAS_PARALLEL                                                                                \
    for (ck_index k = 0; k < p->out_channels; ++k) {                                                \
        double acc[CK_BIAS_SUMS] = {0};                                                             \
        for (ck_index n = 0; n < p->batch; ++n) {                                                   \
            const REAL *row = dy + (n * p->out_channels + k) * plane;                               \
            ck_index i = 0;                                                                         \
            for (; i + CK_BIAS_SUMS <= plane; i += CK_BIAS_SUMS)                                    \
                for (int j = 0; j < CK_BIAS_SUMS; ++j)                                              \
                    acc[j] += row[i + j];                                                           \
            for (int j = 0; i < plane; ++i, ++j)                                                    \
                acc[j] += row[i];                                                                   \
        }                                                                                           \
        double s = acc[0];                                                                          \
        for (int j = 1; j < CK_BIAS_SUMS; ++j)                                                      \
            s += acc[j];                                                                            \
        db[k] = (REAL)s;                                                                            \
    }                                                                                               \
    return CK_OK;

ck_status ck_conv_bwd_bias_f32(const ck_conv_params *p, const float *dy, float *db)
{
    CK_BIAS_BODY(float)
}

ck_status ck_conv_bwd_bias_f64(const ck_conv_params *p, const double *dy, double *db)
{
    CK_BIAS_BODY(double)
}
