/*
 * direct_axis_slots.h -- the stride-phase tap geometry shared by the direct operator
 * (conv_direct.c) and the depthwise operator (csrc/conv/depthwise/), both of which read
 * phase-decomposed, zero-padded rows.
 */
#ifndef CK_DIRECT_AXIS_SLOTS_H
#define CK_DIRECT_AXIS_SLOTS_H

#include "cnnkern/ck_conv.h"

/*
 * Tap geometry along one axis (1 = H, 2 = W) for forward and backward-weight: with
 * k*dilation = stride*shift + phase, tap k reads phase slot slot[k] at offset shift[k] of the
 * phase-decomposed rows (row_phase[j] = x[j*stride + phase - pad_before]); slot_phase[s] is the phase
 * that slot s holds. Returns the number of distinct phases used (<= min(stride, kernel)).
 */
static inline ck_index ck_direct_axis_slots(const ck_conv_params *p, int axis, ck_index *slot, ck_index *shift,
                                     ck_index *slot_phase)
{
    const ck_index KS = p->kernel_size[axis], s = p->stride[axis], d = p->dilation[axis];
    ck_index ns = 0;
    for (ck_index k = 0; k < KS; ++k) {
        const ck_index ph = (k * d) % s;
        ck_index q = 0;
        while (q < ns && slot_phase[q] != ph)
            ++q;
        if (q == ns)
            slot_phase[ns++] = ph;
        slot[k] = q;
        shift[k] = (k * d) / s;
    }
    return ns;
}

#endif /* CK_DIRECT_AXIS_SLOTS_H */
