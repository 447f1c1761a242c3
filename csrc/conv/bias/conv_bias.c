/*
 * conv_bias.c -- the bias gradient shared by every algorithm (declared in cnnkern/ck_conv.h):
 *     db[k] = sum_{n, o} dy[n][k][o]
 * One output channel per OpenMP iteration; the accumulation order of conv_bias_sum.h (double partial
 * sums), which depends on the problem only, so any thread count gives the same bits, and so does db
 * computed inside a fused backward. Both dtypes come from conv_bias_template.h.
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_omp.h"
#include "conv_bias_sum.h"

#define REAL float
#define CONV_BWD_BIAS ck_conv_bwd_bias_f32
#define BIAS_ADD_PLANE ck_bias_add_plane_f32
#include "conv_bias_template.h"
#undef REAL
#undef CONV_BWD_BIAS
#undef BIAS_ADD_PLANE

#define REAL double
#define CONV_BWD_BIAS ck_conv_bwd_bias_f64
#define BIAS_ADD_PLANE ck_bias_add_plane_f64
#include "conv_bias_template.h"
#undef REAL
#undef CONV_BWD_BIAS
#undef BIAS_ADD_PLANE
