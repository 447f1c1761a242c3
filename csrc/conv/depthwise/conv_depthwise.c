/*
 * conv_depthwise.c -- depthwise convolution (one input channel per group, multiplier M = K/C <= 4),
 * 1-D and 2-D, float32/float64; reached through algorithm "direct" (conv_depthwise.h says when).
 *
 * Contract: conv_depthwise.h and ck_conv.h. Tensors dense, C-contiguous; no alignment assumed.
 *
 * Algorithm (columns of W in the SIMD lanes; every tap one unaligned load of packed rows):
 *   forward      task = (n, group, block of RB output rows). The input rows the block reads are packed
 *                into a thread-private buffer [c][W phase][row][Jp], zero outside the image, W split
 *                into stride phases (packed[phase][i][j] = x[ih][j*sw + phase - pad]) so that output
 *                column ox of tap (kh, kw) reads packed[slot(kw)][r*sh + kh*dh][ox + shift(kw)] with
 *                kw*dw = sw*shift + phase. Jp = roundup(OW, LANES) + max shift, so whole vectors never
 *                leave the row and the microkernel needs no bounds checks: the padding halo lives in
 *                the packed row, the taps' weights in registers. Each output channel of the group is
 *                one fwd_rows call over the block (bias + taps in a fixed order).
 *                The same body runs any (C/G, K/G); backward-input uses it with C/G = M.
 *                3x3 at unit stride and dilation with C/G = 1, where the ISA has fwd3u (AVX2 float32):
 *                no packing; the kernel reads the input plane in place, zeroing the lanes of its row-end
 *                vectors that fall outside the image (same bits as the packed rows). The tensor's first
 *                and last planes, whose row-end loads would leave the tensor, stay packed. Zen 2, 2
 *                threads, 128 x 56 x 56 pad 1, in one process against packing: float32 batch 8
 *                1.13-1.35x, batch 1 1.05-1.09x (forward and input gradient); float64 0.83-1.02x, so it
 *                packs. AVX-512 keeps the packed rows (not measured there).
 *   bwd_input    (no entry point here) at unit stride the direct operator runs its forward body on dy
 *                with the kernel flipped, the M output channels of a group as M input channels and
 *                padding d*(k-1) - pad; that body hands the problem to the forward above, whose
 *                packing also handles the negative padding (cropping). Other strides stay on the
 *                direct operator's general code.
 *   bwd_weight   task = a block of up to 8 consecutive groups (group: input channel c and its M
 *                outputs; ck_depthwise_bwd_groups). For each image, then each group of the block,
 *                x[n][c] is packed whole as in forward; bww_rows accumulates LANES partial sums per tap
 *                over all rows of dy[n][k], images in order; the lanes are summed in order at the end.
 *   backward     (dx, dw and db at unit stride, ck_conv_bwd__depthwise_*) task = a block of groups as
 *                bwd_weight, images in order: per image and group bww_rows as bwd_weight, the bias sums
 *                of conv_bias_sum.h, and the group's dy planes packed whole for the backward-input
 *                forward above (one fwd_rows call per dx plane; with fwd3u, M = 1 and 3x3, the inner dy
 *                planes are read in place instead, as in forward). Each dy plane comes from memory once instead of three times.
 *   Every output is computed by one task in an order fixed by the problem: bitwise identical for
 *   any thread count and schedule. Accumulation in the tensor's dtype (db: double, as conv_bias.c).
 *
 * Threading: one OpenMP team of p->num_threads, dynamic schedule (the forward hands out chunks of about
 * tasks / (4 threads) consecutive tasks), no nesting, no BLAS.
 * Memory (REAL = dtype): shared, forward / backward with fwd3u, one zero row of IW + pads + 2*LANES reals;
 * per thread, forward NS*Cg*((RB-1)*sh + (KH-1)*dh + 1)*Jp reals (RB chosen
 * so that this is <= 256 KiB when possible and there are >= 4 tasks per thread) plus Cg*KH*KW
 * indices; bwd_weight NS*((OH-1)*sh + (KH-1)*dh + 1)*Jp + GB*M*KH*KW*LANES reals (GB groups per task);
 * backward that plus M*(IH + (KH-1)*dh)*Jq + GB*M*KH*KW reals (Jq: the packed dy row); shared: the W tap
 * geometry.
 * NS = W phases used (<= min(sw, KW)).
 * ISA: the first entry of depthwise_kernels.h's list that ck_cpu_isa() allows.
 */
#include "conv_depthwise.h"
#include "depthwise_kernels.h"
#include "../direct/direct_axis_slots.h"
#include "../bias/conv_bias_sum.h"

#include <limits.h>
#include <string.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#endif

static inline ck_index ck_depthwise_cdiv(ck_index a, ck_index b) { return (a + b - 1) / b; }
static inline ck_index ck_depthwise_min(ck_index a, ck_index b) { return a < b ? a : b; }
static inline ck_index ck_depthwise_max(ck_index a, ck_index b) { return a > b ? a : b; }

/* Largest packed buffer of one task (bytes) before the operator declines the problem. */
#define CK_DEPTHWISE_MAX_PACK ((size_t)16 << 20)

/* Groups per task of the depthwise weight gradient and fused backward: blocks of consecutive
 * channels, so that each image's planes of a block are one contiguous run of memory (the hardware
 * prefetcher then streams them; with one channel per task each plane was a new 12.5 KB stream, 1.6 MB
 * from the last, and a software prefetch of the next image's planes only partly hid that). Up to
 * CK_DEPTHWISE_BWD_GB, at least 4 tasks per thread. Which task handles a group changes no sum.
 * Zen 2, 2 threads, 128 x 56 x 56 in one process against one group per task with the prefetch (same
 * bits): the fused backward float32 1.07-1.17x at batch 8, 1.06x at batch 1, float64 1.06x / 1.03x;
 * the weight gradient alone float32 1.19-1.39x / 1.19x, float64 1.16x; without the prefetch and
 * blocks of 8 groups faster than with it (1.00-1.08x; float64 weight gradient 0.95x). */
static inline ck_index ck_depthwise_bwd_groups(ck_index G, int num_threads)
{
    const ck_index per = G / (4 * (ck_index)(num_threads > 0 ? num_threads : 1));
    return per < 1 ? 1 : (per > CK_DEPTHWISE_BWD_GB ? CK_DEPTHWISE_BWD_GB : per);
}

/* Packed row length: whole vectors up to roundup(OW, lanes) at the largest shift stay in the row;
 * a multiple of lanes (the vector packing writes whole vectors). */
static ck_index ck_depthwise_row_len(const ck_conv_params *p, ck_index lanes)
{
    const ck_index J = ck_depthwise_cdiv(p->out_size[2], lanes) * lanes +
                       ((p->kernel_size[2] - 1) * p->dilation[2]) / p->stride[2];
    return ck_depthwise_cdiv(J, lanes) * lanes;
}

/* Packed rows for RB output rows. */
static inline ck_index ck_depthwise_rows(const ck_conv_params *p, ck_index RB)
{
    return (RB - 1) * p->stride[1] + (p->kernel_size[1] - 1) * p->dilation[1] + 1;
}

/* Offsets of the taps in w's order (c, kh, kw), for nch channels packed [c][W phase][row][Jp] with NR
 * rows per phase (kslot/kshift: the W tap geometry of ck_direct_axis_slots). */
static void ck_depthwise_tap_offsets(const ck_conv_params *p, ck_index nch, ck_index NS, const ck_index *kslot,
                                     const ck_index *kshift, ck_index NR, ck_index Jp, ck_index *toff)
{
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2], dh = p->dilation[1];
    for (ck_index c = 0; c < nch; ++c)
        for (ck_index kh = 0; kh < KH; ++kh)
            for (ck_index kw = 0; kw < KW; ++kw)
                toff[(c * KH + kh) * KW + kw] = ((c * NS + kslot[kw]) * NR + kh * dh) * Jp + kshift[kw];
}

int ck_conv_depthwise_supports(const ck_conv_params *p, ck_conv_direction dir)
{
    if (p->in_size[0] != 1 || p->kernel_size[0] != 1 || p->out_size[0] != 1 || p->pad_before[0] != 0)
        return 0;
    if (p->in_channels % p->groups != 0 || p->out_channels % p->groups != 0)
        return 0;
    const ck_index cg = p->in_channels / p->groups, kg = p->out_channels / p->groups;
    if (dir == CK_CONV_FWD) {
        if (!((cg == 1 && kg <= CK_DEPTHWISE_MAX_MULT) || (kg == 1 && cg <= CK_DEPTHWISE_MAX_MULT)))
            return 0;
    } else if (dir == CK_CONV_BWD_WEIGHT) {
        if (cg != 1 || kg > CK_DEPTHWISE_MAX_MULT)
            return 0;
    } else {
        return 0;
    }
    /* widest W phase count and lanes over the ISAs, double precision */
    const ck_index ns = ck_depthwise_min(p->stride[2], p->kernel_size[2]);
    const ck_index J = ck_depthwise_row_len(p, CK_DEPTHWISE_MAX_LANES);
    const ck_index rows = dir == CK_CONV_BWD_WEIGHT ? ck_depthwise_rows(p, p->out_size[1]) : ck_depthwise_rows(p, 1);
    return (size_t)(cg * ns * rows * J) * sizeof(double) <= CK_DEPTHWISE_MAX_PACK;
}

int ck_conv_depthwise_supports_backward(const ck_conv_params *p)
{
    if (p->stride[0] != 1 || p->stride[1] != 1 || p->stride[2] != 1)
        return 0;
    if (p->in_channels != p->groups || p->groups < 4 * (ck_index)(p->num_threads > 0 ? p->num_threads : 1))
        return 0;
    ck_conv_params q;
    ck_conv_bwd_input_as_forward(p, &q);
    if (!ck_conv_depthwise_supports(p, CK_CONV_BWD_WEIGHT) || !ck_conv_depthwise_supports(&q, CK_CONV_FWD))
        return 0;
    const ck_index kg = p->out_channels / p->groups;
    const ck_index J = ck_depthwise_row_len(&q, CK_DEPTHWISE_MAX_LANES);
    return (size_t)(kg * ck_depthwise_rows(&q, q.out_size[1]) * J) * sizeof(double) <= CK_DEPTHWISE_MAX_PACK;
}

#define REAL float
#define KTAB ck_depthwise_kernels_f32
#define KLIST CK_DEPTHWISE_F32_KERNELS
#define SELECT_KERNELS ck_depthwise_select_f32
#define PACK_ROW ck_depthwise_pack_row_f32
#define PACK_PLANE ck_depthwise_pack_plane_f32
#define BWW_PACK_X ck_depthwise_bww_pack_x_f32
#define FWD3U_SETUP ck_depthwise_fwd3u_setup_f32
#define BWW_ADD ck_depthwise_bww_add_f32
#define BWW_STORE ck_depthwise_bww_store_f32
#define DW_FWD ck_conv_fwd__depthwise_f32
#define DW_BWD_WEIGHT ck_conv_bwd_weight__depthwise_f32
#define DW_BWD_ALL ck_conv_bwd__depthwise_f32
#define BIAS_ADD_PLANE ck_bias_add_plane_f32
#include "conv_depthwise_template.h"

#define REAL double
#define KTAB ck_depthwise_kernels_f64
#define KLIST CK_DEPTHWISE_F64_KERNELS
#define SELECT_KERNELS ck_depthwise_select_f64
#define PACK_ROW ck_depthwise_pack_row_f64
#define PACK_PLANE ck_depthwise_pack_plane_f64
#define BWW_PACK_X ck_depthwise_bww_pack_x_f64
#define FWD3U_SETUP ck_depthwise_fwd3u_setup_f64
#define BWW_ADD ck_depthwise_bww_add_f64
#define BWW_STORE ck_depthwise_bww_store_f64
#define DW_FWD ck_conv_fwd__depthwise_f64
#define DW_BWD_WEIGHT ck_conv_bwd_weight__depthwise_f64
#define DW_BWD_ALL ck_conv_bwd__depthwise_f64
#define BIAS_ADD_PLANE ck_bias_add_plane_f64
#include "conv_depthwise_template.h"
