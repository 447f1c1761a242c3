/*
 * conv_winograd.c -- the "winograd" algorithm: 2-D 3x3 and 5x5 convolution, stride 1, dilation 1, any
 * zero padding and groups, by Winograd F(4x4, 3x3) and F(2x2, 5x5) on 6x6 tiles (transforms, layouts
 * and the reference matrices: winograd_internal.h; tensors and semantics: cnnkern/ck_conv.h). Below,
 * m = 4 or 2 outputs per tile side, r = 3 or 5 the kernel side.
 *
 * Contract:
 *   fwd         y = conv(x, w) + b.
 *   bwd_input   dx = the same operator on dy with the kernel rotated by 180 degrees and its channel
 *               axes swapped, dx[c] = sum_k corr(dy[k], rot(w[k][c])), and the padding r - 1 - pad_before
 *               (negative: the rows/columns of dy before the output are skipped).
 *   bwd_weight  dw = G^T [ sum over tiles of (BT d B) .* (A dy A^T) ] G, per input/output channel
 *               pair (the adjoint of the forward's bilinear form; dy zero beyond the output): per
 *               group, block of output channels, chunk and block of tiles, the input transform V and
 *               the output-gradient transform Y of the block, then 36 GEMMs dU[e] += V[e]^T Y[e]
 *               ([Cs x tiles] @ [tiles x kb], the blocks in a fixed order), then the kernel-gradient
 *               transform of dU (blocking: wino_make_wgrad_plan below; the code:
 *               conv_winograd_template.h).
 *   Anything but 2-D 3x3 or 5x5 / stride 1 / dilation 1 returns CK_ERR_UNSUPPORTED
 *   (ck_conv_winograd_supports).
 *   OUT arrays are overwritten.
 *
 * Per group g, per chunk of images, per block of tiles:
 *   1. xp = the chunk's input channels of g, channels last, padded (one pass over the input);
 *   2. V[e] = BT d B for every tile of the block (SIMD over channels);
 *   3. M[e] = V[e] @ U[e] for the 36 elements e: [tiles x Cs] @ [Cs x Ks] through the BLAS of
 *      cnnkern/ck_gemm.h (one-thread BLAS inside our loops);
 *   4. y = AT M A (+ bias) for every tile, clipped at the image edge.
 * U (36 Cs Ks elements per group: 4x a 3x3 kernel, 1.44x a 5x5 one) is computed at the start of a
 * plain call, or once by a plan (ck_conv_winograd_transform_weight_* / ck_conv_winograd_run_*, used by cnnkern.ConvPlan).
 * Output-channel blocked variant (wino_kblocked: U of a group >= 2 MiB, few tiles): steps 1-2 for
 * the whole chunk, then per block of CK_WINO_KB output channels (one thread each): that block's U
 * (transformed into a per-thread buffer in a plain call, or read from the plan's U, stored block
 * by block), step 3 with N = the block, step 4 for those channels. U is then never written to
 * memory by a plain call.
 *
 * Blocking and workspace: a block has tb tiles with 36 tb (Cs + Ks) elements of V and M within
 * CK_WINO_BLOCK_BYTES (an L2-sized figure; tb kept in [32, 512] so the GEMMs stay efficient, at least
 * 64 when U itself is larger than that, down to 16 when that gives 8 blocks instead of fewer); the
 * chunk holds as many images of xp as fit under the workspace limit (ck_conv_im2col_set_workspace_limit,
 * shared with im2col) after U and V, M for 8 threads (so the chunk never depends on the thread count),
 * at least one; V and M are per thread. ck_conv_workspace__winograd gives the figure.
 *
 * Threads: one OpenMP team per call. Step 1 splits rows; with at least as many blocks as threads,
 * each block runs steps 2-4 on one thread with its own V and M (dynamic schedule: few barriers, which
 * matters on a loaded machine); with fewer (small images), the team shares each block: tiles in
 * steps 2 and 4, the 36 elements in step 3. Blocks, chunks and every sum depend on the problem and
 * the workspace limit only, never on the thread count, so results are bit for bit the same for any number of threads. The weight
 * gradient always shares each block: tiles in the transforms, the 36 elements in the GEMMs (each
 * element's sums are one thread's at a time, blocks in order). Without a BLAS that can be pinned to
 * one thread, the loops run serially and the BLAS threads.
 * Concurrent calls share no mutable state.
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_gemm.h"
#include "cnnkern/ck_interrupt.h"
#include "winograd_internal.h"

#include <string.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#endif

#define CK_WINO_BLOCK_BYTES ((size_t)768 << 10)
#define CK_WINO_TB_MIN 32
#define CK_WINO_TB_MIN_BIG_U 64
#define CK_WINO_TB_MAX 512
#define CK_WINO_MIN_BLOCKS 8
#define CK_WINO_TB_MIN_SPLIT 16
/* Elements between consecutive tile elements of V and M beyond the block's tiles x channels, so the
 * 36 rows one tile's transform writes are not a multiple of 4 KiB apart for power-of-two channel
 * counts (the same L1 sets); a precaution, no measured gain on the development machine. */
#define CK_WINO_SKEW 16

const char *ck_conv_winograd_unsupported(const ck_conv_params *p, ck_conv_direction dir)
{
    (void)dir; /* the three directions cover the same problems */
    if (!(p->in_size[0] == 1 && p->kernel_size[0] == 1 && p->out_size[0] == 1 && p->pad_before[0] == 0 &&
          p->kernel_size[1] == p->kernel_size[2] && (p->kernel_size[1] == 3 || p->kernel_size[1] == 5)))
        return "computes 2-D 3x3 and 5x5 kernels only";
    if (p->stride[1] != 1 || p->stride[2] != 1 || p->dilation[1] != 1 || p->dilation[2] != 1)
        return "needs stride 1 and dilation 1";
    return NULL;
}

int ck_conv_winograd_supports(const ck_conv_params *p)
{
    return ck_conv_winograd_unsupported(p, CK_CONV_FWD) == NULL;
}

size_t ck_conv_winograd_weight_elems(const ck_conv_params *p)
{
    return (size_t)36 * (size_t)p->groups * (size_t)ck_conv_in_per_group(p) * (size_t)ck_conv_out_per_group(p);
}

typedef struct wino_job {
    ck_wino_tiles tg;
    ck_index batch, groups, in_ch, out_ch, ih, iw, off_h, off_w;
    ck_index tb, nb; /* tiles per block, images per chunk */
    ck_index kb;     /* > 0: plain call blocked over output channels (kb per block), see make_job */
    int team;
} wino_job;

/* Output-channel blocking (j->kb > 0): when the transformed kernel U (36 Cs Ks elements) is far
 * larger than the cache and the tiles are few (512 x 512 channels on 7x7 or 28x28 images: U is
 * 38 MB for 4-100 tiles), writing U to memory and streaming it back through the GEMMs' packing
 * dominates. Instead the input transform V of all the chunk's tiles is made once, and each block of
 * CK_WINO_KB output channels is one work item: its slice of U is transformed into a per-thread
 * buffer (in cache), then 36 GEMMs [tiles x Cs] @ [Cs x kb] and the output transform of those
 * channels. kb = 16 of 16/32/48/64/128 measured (one thread, AVX-512, float32): vgg_conv4_2
 * 24 ms against 38-48 ms, r50_3x3_7 batch 8 9 ms against 10-49 ms. A plan keeps U in the same
 * blocks. */
#define CK_WINO_KB 16
#define CK_WINO_KB_MIN_U ((size_t)2 << 20)
static int wino_kblocked(wino_job *j, size_t elem)
{
    const ck_index tpi = j->tg.th * j->tg.tw;
    const size_t u_bytes = (size_t)36 * (size_t)j->tg.cs * (size_t)j->tg.ks * elem;
    const size_t v_img = (size_t)36 * (size_t)tpi * (size_t)j->tg.cs * elem;
    const ck_index kb = CK_WINO_KB;
    if (u_bytes < CK_WINO_KB_MIN_U || j->tg.ks < 2 * kb)
        return 0;
    /* the chunk's V must not outgrow U itself (large images: the tile blocks of the plain path) */
    if (v_img * (size_t)(j->batch > 0 ? j->batch : 1) > u_bytes && v_img > u_bytes / 4)
        return 0;
    j->kb = kb;
    return 1;
}

/* Images per chunk: as many as fit (per_img bytes each) in the workspace limit after `fixed` bytes,
 * at least one, at most the batch. */
static ck_index wino_images_per_chunk(size_t limit, size_t fixed, size_t per_img, ck_index batch)
{
    ck_index nb = limit > fixed ? (ck_index)((limit - fixed) / per_img) : 1;
    if (nb < 1)
        nb = 1;
    return nb > batch ? batch : nb;
}

static void make_job(const ck_conv_params *p, ck_conv_direction dir, size_t elem, int with_weight, wino_job *j)
{
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    j->batch = p->batch;
    j->groups = p->groups;
    /* backward-input is the forward of dy with the flipped, channel-swapped kernel and padding r - 1 - pad */
    const int fwd = dir == CK_CONV_FWD;
    const ck_index r = p->kernel_size[1], m = 7 - r; /* 6x6 tiles: F(4x4, 3x3) or F(2x2, 5x5) */
    j->tg.r = r;
    j->tg.m = m;
    const ck_index *in = fwd ? p->in_size : p->out_size, *out = fwd ? p->out_size : p->in_size;
    j->ih = in[1];
    j->iw = in[2];
    j->tg.oh = out[1];
    j->tg.ow = out[2];
    j->tg.cs = fwd ? Cg : Kg;
    j->tg.ks = fwd ? Kg : Cg;
    j->off_h = fwd ? p->pad_before[1] : r - 1 - p->pad_before[1];
    j->off_w = fwd ? p->pad_before[2] : r - 1 - p->pad_before[2];
    j->in_ch = j->groups * j->tg.cs;
    j->out_ch = j->groups * j->tg.ks;
    j->tg.th = (j->tg.oh + m - 1) / m;
    j->tg.tw = (j->tg.ow + m - 1) / m;
    j->tg.hp = m * j->tg.th + r - 1;
    j->tg.wp = m * j->tg.tw + r - 1;
    const ck_index tpi = j->tg.th * j->tg.tw;
    /* V and M of a block in L2. When U does not fit in cache either, every block streams all of U
     * through the GEMMs' packing: at least CK_WINO_TB_MIN_BIG_U tiles amortise it (256 channels, 14x14,
     * one thread on a loaded machine: 64 tiles ~2x faster than 16; 128 and more slower again). */
    const int u_cached = (size_t)36 * (size_t)j->tg.cs * (size_t)j->tg.ks * elem <= CK_WINO_BLOCK_BYTES;
    ck_index tb = (ck_index)(CK_WINO_BLOCK_BYTES / (36 * (size_t)(j->tg.cs + j->tg.ks) * elem));
    if (tb < (u_cached ? CK_WINO_TB_MIN : CK_WINO_TB_MIN_BIG_U))
        tb = u_cached ? CK_WINO_TB_MIN : CK_WINO_TB_MIN_BIG_U;
    if (tb > CK_WINO_TB_MAX)
        tb = CK_WINO_TB_MAX;
    const ck_index batch = j->batch > 0 ? j->batch : 1;
    /* at least CK_WINO_MIN_BLOCKS blocks when small U allows 16-tile blocks, so the threads share
     * the work evenly (5 blocks on 2 threads run at 60%); fixed, never the team size */
    if (u_cached && batch * tpi < CK_WINO_MIN_BLOCKS * tb) {
        tb = (batch * tpi + CK_WINO_MIN_BLOCKS - 1) / CK_WINO_MIN_BLOCKS;
        if (tb < CK_WINO_TB_MIN_SPLIT)
            tb = CK_WINO_TB_MIN_SPLIT;
    }
    if (tb > batch * tpi)
        tb = batch * tpi;
    j->tb = tb;
    const size_t limit = ck_conv_im2col_get_workspace_limit();
    size_t fixed, per_img;
    j->kb = 0;
    if (wino_kblocked(j, elem)) {
        /* the whole chunk's V is one block; per thread: M (and in a plain call U) of one block of
         * output channels */
        fixed = (size_t)36 * ((with_weight ? (size_t)j->tg.cs : 0) + (size_t)tpi) * (size_t)j->kb * elem * 8;
        per_img = ((size_t)j->tg.hp * (size_t)j->tg.wp + (size_t)36 * (size_t)tpi) * (size_t)j->tg.cs * elem;
    } else {
        fixed = (with_weight ? ck_conv_winograd_weight_elems(p) * elem : 0)
                + (size_t)36 * (size_t)tb * (size_t)(j->tg.cs + j->tg.ks) * elem * 8;
        per_img = (size_t)j->tg.hp * (size_t)j->tg.wp * (size_t)j->tg.cs * elem;
    }
    j->nb = wino_images_per_chunk(limit, fixed, per_img, batch);
    if (j->kb > 0)
        j->tb = j->nb * tpi;
    j->team = 1;
#if CK_BUILD_OPENMP
    if (p->num_threads > 1 && ck_gemm_can_pin((int)elem))
        j->team = p->num_threads;
#endif
}

/* This thread's number in the team (0 without OpenMP). */
static int wino_tid(void)
{
#if CK_BUILD_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* The weight gradient's blocking (ck_conv_bwd_weight__winograd_*): dU, the [36][Cs][kb] sums of one
 * block of kb output channels, takes at most CK_WINO_WGRAD_DU_BYTES and half the workspace limit
 * (kb = Ks unless that does not fit; each further block of channels packs and transforms all the
 * input tiles again, which is what costs: 16 -> 32 MiB, i.e. 4 -> 2 blocks of 512 x 512 float32
 * channels, 8 -> 4 in float64, on a Zen 2 with 512 KiB L2, 2 threads: 28x28 batch 2 36.9 -> 24.8 ms
 * (float64 102.2 -> 67.7), 7x7 batch 8 12.1 -> 10.9 ms (26.0 -> 23.4), 1024 channels 14x14 batch 2
 * 78.8 -> 57.5 ms (187.7 -> 124.8); a Zen 4 had earlier measured 512 channels on 7x7 slower with a 38 MB
 * dU, which glibc maps afresh every call, than with 9.4 MB: 32 MiB keeps those at 19 MB). A block of
 * tb tiles' V and Y (36 tb (Cs + kb) elements) is CK_WINO_WGRAD_BLOCK_BYTES or, when larger, the size
 * of dU (every block's GEMMs read and write all of dU: no more traffic than the block's own), within a
 * quarter of the limit and at least CK_WINO_WGRAD_TB_MIN tiles; the chunk as many images of xp and
 * dyp as fit in the rest, at least one. All from the problem and the limit, never the thread count.
 * Measured (float32, batch 8, 2 threads, block sizes 0.25-8 MiB): 64-256 channels fastest at 1-2 MiB
 * (56x56: 8.0 ms at 1 MiB, 11.5 ms at 8 MiB). */
#define CK_WINO_WGRAD_BLOCK_BYTES ((size_t)2 << 20)
#define CK_WINO_WGRAD_DU_BYTES ((size_t)32 << 20)
#define CK_WINO_WGRAD_TB_MIN 16
#define CK_WINO_WGRAD_TB_MAX 1024
typedef struct wino_wgrad_plan {
    ck_index kb, tb, nb;
} wino_wgrad_plan;

static void wino_make_wgrad_plan(const ck_conv_params *p, const wino_job *j, size_t elem, wino_wgrad_plan *pl)
{
    const size_t limit = ck_conv_im2col_get_workspace_limit();
    const ck_index cs = j->tg.cs, ks = j->tg.ks, tpi = j->tg.th * j->tg.tw;
    const ck_index batch = p->batch > 0 ? p->batch : 1;
    const size_t du_cap = limit / 2 < CK_WINO_WGRAD_DU_BYTES ? limit / 2 : CK_WINO_WGRAD_DU_BYTES;
    ck_index kb = ks;
    while (kb > 1 && (size_t)36 * (size_t)cs * (size_t)kb * elem > du_cap)
        kb = (kb + 1) / 2;
    const size_t per_tile = (size_t)36 * (size_t)(cs + kb) * elem;
    const size_t du_bytes = (size_t)36 * (size_t)cs * (size_t)kb * elem;
    size_t block_bytes = du_bytes > CK_WINO_WGRAD_BLOCK_BYTES ? du_bytes : CK_WINO_WGRAD_BLOCK_BYTES;
    if (block_bytes > limit / 4)
        block_bytes = limit / 4;
    ck_index tb = (ck_index)(block_bytes / per_tile);
    if (tb < CK_WINO_WGRAD_TB_MIN)
        tb = CK_WINO_WGRAD_TB_MIN;
    if (tb > CK_WINO_WGRAD_TB_MAX)
        tb = CK_WINO_WGRAD_TB_MAX;
    while (tb > 1 && (size_t)tb * per_tile > limit / 4)
        tb = (tb + 1) / 2;
    if (tb > batch * tpi)
        tb = batch * tpi;
    const size_t fixed = (size_t)36 * (size_t)cs * (size_t)kb * elem + (size_t)tb * per_tile;
    const size_t per_img = ((size_t)j->tg.hp * (size_t)j->tg.wp * (size_t)cs
                            + (size_t)(j->tg.m * j->tg.m) * (size_t)tpi * (size_t)kb) * elem;
    pl->kb = kb;
    pl->tb = tb;
    pl->nb = wino_images_per_chunk(limit, fixed, per_img, batch);
}

size_t ck_conv_workspace__winograd(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size)
{
    if (!ck_conv_winograd_supports(p))
        return 0;
    if (dir == CK_CONV_BWD_WEIGHT) {
        wino_job j;
        wino_wgrad_plan pl;
        make_job(p, CK_CONV_FWD, elem_size, 0, &j);
        wino_make_wgrad_plan(p, &j, elem_size, &pl);
#define CK_WINO_R64(b) (((b) + 63) & ~(size_t)63)
        return CK_WINO_R64((size_t)pl.nb * (size_t)(j.tg.hp * j.tg.wp * j.tg.cs) * elem_size)
               + CK_WINO_R64((size_t)pl.nb * (size_t)(j.tg.m * j.tg.m * j.tg.th * j.tg.tw * pl.kb) * elem_size)
               + CK_WINO_R64((size_t)36 * (size_t)(pl.tb * j.tg.cs + CK_WINO_SKEW) * elem_size)
               + CK_WINO_R64((size_t)36 * (size_t)(pl.tb * pl.kb + CK_WINO_SKEW) * elem_size)
               + CK_WINO_R64((size_t)36 * (size_t)(j.tg.cs * pl.kb + CK_WINO_SKEW) * elem_size);
#undef CK_WINO_R64
    }
    wino_job j;
    make_job(p, dir, elem_size, 1, &j);
    /* the blocked call's three allocations (xp; V; U and M per thread), each rounded up to 64 bytes
     * as ck_aligned_alloc counts them */
#define CK_WINO_R64(b) (((b) + 63) & ~(size_t)63)
    if (j.kb > 0)
        return CK_WINO_R64((size_t)j.team * 36 * ((size_t)j.tg.cs * (size_t)j.kb + (size_t)j.tb * (size_t)j.kb + 2 * CK_WINO_SKEW) * elem_size)
               + CK_WINO_R64((size_t)36 * ((size_t)j.tb * (size_t)j.tg.cs + CK_WINO_SKEW) * elem_size)
               + CK_WINO_R64((size_t)j.nb * (size_t)j.tg.hp * (size_t)j.tg.wp * (size_t)j.tg.cs * elem_size);
#undef CK_WINO_R64
    return ck_conv_winograd_weight_elems(p) * elem_size
           + (size_t)j.team * 36 * (size_t)(j.tb * (j.tg.cs + j.tg.ks) + 2 * CK_WINO_SKEW) * elem_size
           + (size_t)j.nb * (size_t)j.tg.hp * (size_t)j.tg.wp * (size_t)j.tg.cs * elem_size;
}

#define T float
#define SFX(name) name##_f32
#define KSFX(name, isa) name##__##isa##_f32
#define LANES_AVX2 CK_WINO_LANES_AVX2_F32
#define LANES_AVX512 CK_WINO_LANES_AVX512_F32
#define GEMM ck_gemm_f32
#include "conv_winograd_template.h"
#undef T
#undef SFX
#undef KSFX
#undef LANES_AVX2
#undef LANES_AVX512
#undef GEMM

#define T double
#define SFX(name) name##_f64
#define KSFX(name, isa) name##__##isa##_f64
#define LANES_AVX2 CK_WINO_LANES_AVX2_F64
#define LANES_AVX512 CK_WINO_LANES_AVX512_F64
#define GEMM ck_gemm_f64
#include "conv_winograd_template.h"
