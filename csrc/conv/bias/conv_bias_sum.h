/*
 * conv_bias_sum.h -- the bias gradient's accumulation order, shared by conv_bias_template.h and every
 * operator that computes db inside another pass (the depthwise fused backward), so that all of them
 * give the same bits: one plane of dy at a time, images in order, element i of a plane into partial sum
 * i % CK_BIAS_SUMS (double), the partial sums added in order at the end.
 */
#ifndef CK_CONV_BIAS_SUM_H
#define CK_CONV_BIAS_SUM_H

#include "cnnkern/ck_common.h"

/* Independent partial sums: one serial chain of dependent adds is latency-bound. */
#define CK_BIAS_SUMS 8

#define CK_BIAS_ADD_PLANE(NAME, REALT)                                                 \
    static inline void NAME(double acc[CK_BIAS_SUMS], const REALT *row, ck_index plane) \
    {                                                                                  \
        ck_index i = 0;                                                                \
        for (; i + CK_BIAS_SUMS <= plane; i += CK_BIAS_SUMS)                           \
            for (int j = 0; j < CK_BIAS_SUMS; ++j)                                     \
                acc[j] += row[i + j];                                                  \
        for (int j = 0; i < plane; ++i, ++j)                                           \
            acc[j] += row[i];                                                          \
    }
CK_BIAS_ADD_PLANE(ck_bias_add_plane_f32, float)
CK_BIAS_ADD_PLANE(ck_bias_add_plane_f64, double)
#undef CK_BIAS_ADD_PLANE

static inline double ck_bias_total(const double acc[CK_BIAS_SUMS])
{
    double s = acc[0];
    for (int j = 1; j < CK_BIAS_SUMS; ++j)
        s += acc[j];
    return s;
}

#endif /* CK_CONV_BIAS_SUM_H */
