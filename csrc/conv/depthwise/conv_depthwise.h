/*
 * conv_depthwise.h -- the depthwise operator behind algorithm "direct" (internal header).
 *
 * The direct operator (csrc/conv/direct/conv_direct.c) hands a problem to these entry points when
 * ck_conv_depthwise_supports() says yes for that direction; otherwise it runs its general code.
 * Same contract as the direct entry points of ck_conv.h (tensors, OUT arrays overwritten, CK_OK or
 * CK_ERR_NOMEM, bitwise identical for any thread count), restricted to the supported problems.
 */
#ifndef CK_CONV_DEPTHWISE_H
#define CK_CONV_DEPTHWISE_H

#include "cnnkern/ck_conv.h"

/* 1 if the depthwise operator computes this problem in direction dir (CK_CONV_FWD or
 * CK_CONV_BWD_WEIGHT): a 1-D or 2-D problem (depth axis of size 1, no depth padding), any kernel size,
 * stride, dilation and padding on H and W (forward: also negative padding), the packed rows of one
 * task within a few MiB, and
 *   forward      one input channel per group and at most CK_DEPTHWISE_MAX_MULT output channels per
 *                group (the channel multiplier), or one output channel per group and at most that
 *                many input channels (the direct operator's unit-stride backward-input of a depthwise
 *                layer runs its forward on the swapped problem);
 *   bwd_weight   one input channel per group, at most CK_DEPTHWISE_MAX_MULT outputs per group.
 * Backward-input needs no entry point of its own: see the forward case above. */
#define CK_DEPTHWISE_MAX_MULT 4
int ck_conv_depthwise_supports(const ck_conv_params *p, ck_conv_direction dir);

ck_status ck_conv_fwd__depthwise_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__depthwise_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_weight__depthwise_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__depthwise_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);

#endif /* CK_CONV_DEPTHWISE_H */
