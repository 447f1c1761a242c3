/*
 * conv_direct.c -- the "direct" convolution operator: blocked loops over packed rows, SIMD
 * microkernels, OpenMP, no im2col buffer. float32 and float64 come from conv_direct_template.h
 * (included twice with every function name #defined, so grep finds each one).
 *
 * Contract (ck_conv.h): every parameter the struct allows (3-D; 1-D/2-D have size-1 leading dims),
 * any stride, dilation, asymmetric padding (also larger than the kernel), groups incl. depthwise and
 * channel multipliers; batch 0 returns CK_OK at once. Tensors dense and C-contiguous:
 *   x  [N][C][ID][IH][IW]     w  [K][C/G][KD][KH][KW]     b [K] or NULL     y [N][K][OD][OH][OW]
 * OUT arrays (y, dx, dw) are overwritten. No alignment assumed. Returns CK_OK or CK_ERR_NOMEM (every
 * allocation is checked; on failure all threads still reach the end of the parallel region and every
 * buffer is freed).
 *
 * Algorithm (one "row" = one line along the last spatial axis, W):
 *   forward      task = a block of RH output rows (n, od, oh0 .. oh0+RH-1), all groups and output
 *                channels. Per input channel and valid kd tap, the input rows the block needs are
 *                packed into a thread-private buffer in phase-decomposed form along W and H
 *                (row[j] = x[(r*sh + hphase - pbh)][j*sw + wphase - pbw], 0 outside the input),
 *                laid out [kd][W phase][H phase][NR = RH + (KH-1)*dh/sh rows][J = OW + (KW-1)*dw/sw].
 *                Then output row r, column ox of tap (kd, kh, kw) reads the packed value at
 *                (r + (kh*dh)/sh)*J + ox + (kw*dw)/sw of its phase block: the RH output rows are one
 *                flattened run of (RH-1)*J + OW columns (the J-OW columns between rows are computed and
 *                discarded), every tap is one contiguous unaligned vector load, no bounds checks.
 *                Weights are packed once per call as wp[G][ceil(Kg/OCB)][Cg][KD*KH*KW][OCB]
 *                (zero-padded channel tail). The fwd microkernel computes an OCB x (nv*LANES) tile
 *                over all (c, tap); the operator adds the bias and stores the valid columns.
 *                Every output element sums the same taps in the same order whatever RH is.
 *                Groups with few input channels (<= 16; stems) on kernel lists that have the cl
 *                kernels (AVX2) take FWD_CL instead: per task (n, a block of output rows, then each
 *                group) the group's input rows with their zero padding are copied once (no phases),
 *                the cl kernel computes an output row with the output channels in the SIMD lanes
 *                ([OW][Kp] in the worker's out buffer) and clst transposes it into the planes + bias.
 *                Same terms in the same order: the same bits as the tiles.
 *   bwd_input    unit stride: the forward above applied to dy with the kernel flipped on every axis,
 *                channels swapped per group, padding d*(k-1) - pad_before (negative = cropping).
 *                Other strides: the transposed convolution as a correlation of dy per input row
 *                (n, id, ih): the valid (kd, kh) taps are those with (i + pb - t*d) divisible by the
 *                stride, and along W the columns are split by phase a = iw mod sw (sub-pixel
 *                decomposition): for phase a the taps kw with (a + pbw - kw*dw) % sw == 0 read
 *                dy[m + (a+pbw-kw*dw)/sw] for dx[a + sw*m], a contiguous correlation with no
 *                zero-inserted work. Same fwd microkernel; weights packed as
 *                wt[G][ceil(Cg/OCB)][Kg][KD*KH*KW][OCB].
 *   bwd_weight   work item = (chunk of row blocks, group, block of KC output channels). A row block
 *                is RH output rows of one (n, od), packed exactly as in forward, and its dy rows are
 *                packed flattened the same way (zeros in the columns between rows and after); the bww
 *                microkernel forms BK x BT dot products (output channel x (input channel, tap)) over
 *                the block's flattened columns, added into the item's slice of dw. Channel blocks
 *                are split to give every thread work (this does not change any sum). If a problem has
 *                fewer than 8 blocks of BK output channels, row blocks are also split into chunks (a
 *                number that depends on the problem, never on the thread count) with one partial dw
 *                per chunk, summed in chunk order afterwards.
 *   All three give bitwise identical results for any thread count and schedule.
 *   Depthwise problems that ck_conv_depthwise_supports() accepts go to csrc/conv/depthwise/ (packed
 *   rows, one channel per task, the halo in the packed rows); the forward body checks, so the
 *   unit-stride backward-input (one output channel per group after the swap) goes there too, and so
 *   does the table's fused backward (ck_conv_bwd_all__direct_*: dx, dw and db in one pass over dy),
 *   which declines every other problem. Other groups with fewer than OCB/2
 *   (BK/2) output channels use the one-channel tiles of direct_kernels.h instead of wasting most of
 *   an OCB-wide tile.
 *
 * Threading: one OpenMP team of p->num_threads per call (no nested regions, no BLAS); tasks are
 * scheduled dynamically. Per-thread scratch is allocated inside the parallel region (REAL = dtype):
 *   forward     Cg*KD*NSW*NSH*(RH + (KH-1)*dh/sh)*J + LANES + OCB*NV_MAX*LANES reals, 2*KV + 2*KD
 *               indices; NSW, NSH = W/H phases used (<= min(stride, kernel)), J = OW + (KW-1)*dw/sw,
 *               RH = output rows per task, chosen for ~768 flattened columns (4096 with one-channel
 *               tiles), <= 512 KiB packed input and at least 4 tasks per thread. FWD_CL: Cg*XR*XW
 *               + CW*Kp reals (XR input rows per block of output rows, <= 256 KiB of them where one
 *               row allows; XW = (OW-1)*sw + (KW-1)*dw + 1; Kp = Kg rounded up to the lanes; CW
 *               output columns per kernel call, CW*Kp <= 256 KiB where 24 columns allow).
 *   bwd_input   unit stride: as forward with C and K swapped, plus one shared copy of w (flipped).
 *               Otherwise Kg*KD*KH*J + OCB*NV_MAX*LANES reals, 2*KV + 2*KD*KH indices, with
 *               J = roundup(ceil(IW/sw), LANES) + (span of the W tap offsets).
 *   bwd_weight  Cg*KD*NSW*NSH*(RH + (KH-1)*dh/sh)*J + LANES + KC*roundup((RH-1)*J + OW, LANES)
 *               reals, 2*Cg*KV + 2*KD indices; RH chosen for ~512 flattened columns (2048 with
 *               one-channel tiles) and <= 256 KiB packed input, from the problem only.
 * Shared workspace (allocated before the parallel region, checked): the packed weights (about |w|
 * rounded up to OCB channels per group, or to the lanes for FWD_CL) and, for bwd_weight with split
 * rows only, nrc*|dw| partial sums.
 * ISA: ck_cpu_isa() picks the first entry of the list in direct_kernels.h the CPU supports.
 * Accumulation is in the tensor's dtype (float for f32).
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_omp.h"
#include "cnnkern/ck_interrupt.h"
#include "direct_kernels.h"
#include "direct_axis_slots.h"
#include "../depthwise/conv_depthwise.h"

#include <assert.h>
#include <string.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#endif

static inline ck_index ck_direct_cdiv(ck_index a, ck_index b) { return (a + b - 1) / b; }
static inline ck_index ck_direct_min(ck_index a, ck_index b) { return a < b ? a : b; }
static inline ck_index ck_direct_fmod(ck_index a, ck_index m)
{
    const ck_index r = a % m;
    return r < 0 ? r + m : r;
}

#include "direct_rows.h" /* after ck_direct_cdiv / ck_direct_min / ck_direct_fmod */

/* The preconditions of ck_conv.h (validated in Python; repeated here for debug builds). */
static inline int ck_direct_params_ok(const ck_conv_params *p)
{
    if (p->batch < 0 || p->in_channels < 1 || p->out_channels < 1 || p->groups < 1 || p->num_threads < 1 ||
        p->in_channels % p->groups != 0 || p->out_channels % p->groups != 0)
        return 0;
    for (int a = 0; a < CK_MAX_SPATIAL; ++a) {
        if (p->in_size[a] < 1 || p->kernel_size[a] < 1 || p->stride[a] < 1 || p->dilation[a] < 1 ||
            p->pad_before[a] < 0 || p->pad_after[a] < 0 || p->out_size[a] < 1)
            return 0;
        if (p->out_size[a] != (p->in_size[a] + p->pad_before[a] + p->pad_after[a] -
                               p->dilation[a] * (p->kernel_size[a] - 1) - 1) / p->stride[a] + 1)
            return 0;
    }
    return 1;
}

static const ck_direct_kernels_f32 ck_direct_table_f32[] = {CK_DIRECT_F32_KERNELS(CK_DIRECT_TABLE_ENTRY)};
static const ck_direct_kernels_f64 ck_direct_table_f64[] = {CK_DIRECT_F64_KERNELS(CK_DIRECT_TABLE_ENTRY)};

/* The first (best) list entry whose ISA the CPU supports; the generic entry is last and always fits. */
static const ck_direct_kernels_f32 *ck_direct_select_f32(void) { return CK_SELECT_ROW(ck_direct_table_f32); }
static const ck_direct_kernels_f64 *ck_direct_select_f64(void) { return CK_SELECT_ROW(ck_direct_table_f64); }

/* Vectors of columns for the next tile: at most nvm, avoiding a 1-vector tail when possible. */
static inline ck_index ck_direct_pick_nv(ck_index nvec, ck_index nvm)
{
    if (nvec <= nvm)
        return nvec;
    if (nvm >= 3 && nvec % nvm == 1)
        return nvm - 1;
    return nvm;
}

#define REAL float
#define KTAB ck_direct_kernels_f32
#define SELECT_KERNELS ck_direct_select_f32
#define PACK_ROW ck_direct_pack_row_f32
#define PACK_BLOCK ck_direct_pack_block_f32
#define PACK_WEIGHTS ck_direct_pack_weights_f32
#define WORKER_BUFFERS ck_direct_worker_buffers_f32
#define TASK_FN ck_direct_task_fn_f32
#define RUN_TASKS ck_direct_run_tasks_f32
#define FWD_CTX ck_direct_fwd_ctx_f32
#define FWD_TASK ck_direct_fwd_task_f32
#define CL_CTX ck_direct_cl_ctx_f32
#define CL_TASK ck_direct_cl_task_f32
#define CL_SUPPORTS ck_direct_cl_supports_f32
#define FWD_CL ck_direct_fwd_cl_f32
#define BWI_CTX ck_direct_bwi_ctx_f32
#define BWI_TASK ck_direct_bwi_task_f32
#define CONV_FWD_DIRECT ck_conv_fwd__direct_f32
#define CONV_FWD_DIRECT_IMPL ck_conv_fwd__direct_impl_f32
#define BWD_INPUT_UNIT_STRIDE ck_direct_bwd_input_unit_stride_f32
#define CONV_BWD_INPUT_DIRECT ck_conv_bwd_input__direct_f32
#define PACK_DY_BLOCK ck_direct_pack_dy_block_f32
#define BWD_WEIGHT_BLOCK ck_direct_bwd_weight_block_f32
#define CONV_BWD_WEIGHT_DIRECT ck_conv_bwd_weight__direct_f32
#define DEPTHWISE_FWD ck_conv_fwd__depthwise_f32
#define DEPTHWISE_BWD_WEIGHT ck_conv_bwd_weight__depthwise_f32
#include "conv_direct_template.h" /* #undefs all of the above */

#define REAL double
#define KTAB ck_direct_kernels_f64
#define SELECT_KERNELS ck_direct_select_f64
#define PACK_ROW ck_direct_pack_row_f64
#define PACK_BLOCK ck_direct_pack_block_f64
#define PACK_WEIGHTS ck_direct_pack_weights_f64
#define WORKER_BUFFERS ck_direct_worker_buffers_f64
#define TASK_FN ck_direct_task_fn_f64
#define RUN_TASKS ck_direct_run_tasks_f64
#define FWD_CTX ck_direct_fwd_ctx_f64
#define FWD_TASK ck_direct_fwd_task_f64
#define CL_CTX ck_direct_cl_ctx_f64
#define CL_TASK ck_direct_cl_task_f64
#define CL_SUPPORTS ck_direct_cl_supports_f64
#define FWD_CL ck_direct_fwd_cl_f64
#define BWI_CTX ck_direct_bwi_ctx_f64
#define BWI_TASK ck_direct_bwi_task_f64
#define CONV_FWD_DIRECT ck_conv_fwd__direct_f64
#define CONV_FWD_DIRECT_IMPL ck_conv_fwd__direct_impl_f64
#define BWD_INPUT_UNIT_STRIDE ck_direct_bwd_input_unit_stride_f64
#define CONV_BWD_INPUT_DIRECT ck_conv_bwd_input__direct_f64
#define PACK_DY_BLOCK ck_direct_pack_dy_block_f64
#define BWD_WEIGHT_BLOCK ck_direct_bwd_weight_block_f64
#define CONV_BWD_WEIGHT_DIRECT ck_conv_bwd_weight__direct_f64
#define DEPTHWISE_FWD ck_conv_fwd__depthwise_f64
#define DEPTHWISE_BWD_WEIGHT ck_conv_bwd_weight__depthwise_f64
#include "conv_direct_template.h"

/* The table's fused backward (contract: ck_conv.h): the depthwise operator's, where it applies. */
#define CK_DIRECT_BWD_ALL(NAME, DEPTHWISE_BWD, REALT)                                                        \
    ck_status NAME(const ck_conv_params *p, const REALT *dy, const REALT *x, const REALT *w, REALT *dx,       \
                   REALT *dw, REALT *db)                                                                     \
    {                                                                                                        \
        assert(ck_direct_params_ok(p));                                                                      \
        if (p->batch == 0 || !ck_conv_depthwise_supports_backward(p))                                       \
            return CK_ERR_UNSUPPORTED;                                                                       \
        if (!dx)                                                                                             \
            return CK_OK; /* the question only */                                                            \
        return DEPTHWISE_BWD(p, dy, x, w, dx, dw, db);                                                       \
    }
CK_DIRECT_BWD_ALL(ck_conv_bwd_all__direct_f32, ck_conv_bwd__depthwise_f32, float)
CK_DIRECT_BWD_ALL(ck_conv_bwd_all__direct_f64, ck_conv_bwd__depthwise_f64, double)
#undef CK_DIRECT_BWD_ALL
