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

/* db[k] = sum_{n, o} dy[n][k][o]; one channel per OpenMP iteration, double accumulation. */
ck_status ck_conv_bwd_bias_f32(const ck_conv_params *p, const float *dy, float *db)
{
    const ck_index plane = ck_conv_out_plane(p);
#if CK_BUILD_OPENMP
#pragma omp parallel for num_threads(ck_team(p->num_threads, p->out_channels)) schedule(static)
#endif
    for (ck_index k = 0; k < p->out_channels; ++k) {
        double acc = 0.0;
        for (ck_index n = 0; n < p->batch; ++n) {
            const float *row = dy + (n * p->out_channels + k) * plane;
            for (ck_index i = 0; i < plane; ++i)
                acc += row[i];
        }
        db[k] = (float)acc;
    }
    return CK_OK;
}

ck_status ck_conv_bwd_bias_f64(const ck_conv_params *p, const double *dy, double *db)
{
    const ck_index plane = ck_conv_out_plane(p);
#if CK_BUILD_OPENMP
#pragma omp parallel for num_threads(ck_team(p->num_threads, p->out_channels)) schedule(static)
#endif
    for (ck_index k = 0; k < p->out_channels; ++k) {
        double acc = 0.0;
        for (ck_index n = 0; n < p->batch; ++n) {
            const double *row = dy + (n * p->out_channels + k) * plane;
            for (ck_index i = 0; i < plane; ++i)
                acc += row[i];
        }
        db[k] = acc;
    }
    return CK_OK;
}
