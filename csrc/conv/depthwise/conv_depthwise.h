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
#define CK_DEPTHWISE_BWD_GB 8
int ck_conv_depthwise_supports(const ck_conv_params *p, ck_conv_direction dir);

/* The unit-stride backward-input of p as the forward problem the direct operator runs on dy: channels
 * swapped, padding d*(k-1) - pad (negative: cropping); the caller flips the kernel (wT[c][k][t] =
 * w[k][c][KV-1-t] per group). */
static inline void ck_conv_bwd_input_as_forward(const ck_conv_params *p, ck_conv_params *q)
{
    *q = *p;
    q->in_channels = p->out_channels;
    q->out_channels = p->in_channels;
    for (int a = 0; a < CK_MAX_SPATIAL; ++a) {
        q->in_size[a] = p->out_size[a];
        q->out_size[a] = p->in_size[a];
        q->pad_before[a] = p->dilation[a] * (p->kernel_size[a] - 1) - p->pad_before[a];
        q->pad_after[a] = p->dilation[a] * (p->kernel_size[a] - 1) - p->pad_after[a];
    }
}

/* 1 if ck_conv_bwd__depthwise_* computes dx, dw and db of p in one pass: unit stride, one input channel
 * per group, the forward on ck_conv_bwd_input_as_forward(p) and bwd_weight both supported, whole dy
 * planes of a group packed within the limit, and at least 4 groups per thread (the pass is parallel
 * over groups only; with fewer, the separate passes spread the work better). */
int ck_conv_depthwise_supports_backward(const ck_conv_params *p);

/* dx, dw and db (db may be NULL: not wanted) in one pass over dy, for the problems above. Same bits as
 * the separate passes: ck_conv_bwd_input__direct_*, ck_conv_bwd_weight__direct_* and ck_conv_bwd_bias_*.
 * batch >= 1. CK_OK or CK_ERR_NOMEM. */
ck_status ck_conv_bwd__depthwise_f32(const ck_conv_params *p, const float *dy, const float *x, const float *w,
                                     float *dx, float *dw, float *db);
ck_status ck_conv_bwd__depthwise_f64(const ck_conv_params *p, const double *dy, const double *x, const double *w,
                                     double *dx, double *dw, double *db);

ck_status ck_conv_fwd__depthwise_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__depthwise_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_weight__depthwise_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__depthwise_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);

#endif /* CK_CONV_DEPTHWISE_H */
