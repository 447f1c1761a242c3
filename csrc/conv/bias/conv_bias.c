/*
 * conv_bias.c -- the bias gradient shared by every algorithm (declared in cnnkern/ck_conv.h):
 *     db[k] = sum_{n, o} dy[n][k][o]
 * One output channel per OpenMP iteration; double accumulation in CK_BIAS_SUMS independent partial
 * sums (element i of a plane goes to sum i % CK_BIAS_SUMS, the sums are added in order at the end),
 * because one serial chain of dependent adds is latency-bound. The order depends on the problem only,
 * so any thread count gives the same bits. Both dtypes come from conv_bias_template.h.
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_omp.h"

#define CK_BIAS_SUMS 8

#define REAL float
#define CONV_BWD_BIAS ck_conv_bwd_bias_f32
#include "conv_bias_template.h"
#undef REAL
#undef CONV_BWD_BIAS

#define REAL double
#define CONV_BWD_BIAS ck_conv_bwd_bias_f64
#include "conv_bias_template.h"
#undef REAL
#undef CONV_BWD_BIAS
