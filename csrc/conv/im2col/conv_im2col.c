/*
 * conv_im2col.c -- the "im2col" algorithm: column matrix in tiles + GEMM through a real BLAS.
 *
 * Contract (tensors and semantics: cnnkern/ck_conv.h; GEMM adapter: cnnkern/ck_gemm.h):
 *   fwd         per image n, group g, tile of output pixels [p0, p0+tile):
 *                 col[K][tile] = im2col(x[n], g);  y[n][g*Kg..][p0..] = w_g[Kg][K] @ col  (+ b)
 *               or, with fewer images than workers and a long K, per K block b of rows [r0, r1):
 *                 y_b = w_g[:, r0:r1] @ col[r0:r1], then y = ((y_0 + y_1) + ...) + b element by element
 *   bwd_input   per image n, group g: dx[n][g] = 0, then per tile:
 *                 dcol[K][tile] = w_g^T @ dy[n][g][:, p0..];  dx[n][g] += col2im(dcol)  (scatter-add)
 *   bwd_weight  per chunk c of images, group g and block of rows [r0, r1) of the column matrix (a work
 *               item; K in up to 8 blocks of a multiple of 16, at least 64 rows: im2col_weight_rows):
 *                 dw_c[g][:, r0:r1] = sum over n in chunk c, tiles in order of dy[n][g][:, p0..] @ col[r0:r1]^T
 *               then dw = ((dw_0 + dw_1) + dw_2) + ... element by element (dw_0 is dw itself). There is
 *               one chunk (the whole batch) unless groups * row blocks < 8 (small K: a 1x1 kernel on
 *               64 channels has ONE item), then up to ceil(8 / items) chunks of consecutive images, as
 *               many as fit in half the workspace limit as dw copies; chunks never depend on the threads.
 *   OUT arrays are overwritten. All sizes and offsets are 64-bit (ck_index).
 *   1x1(x1) kernels with stride 1 and no padding skip the column matrix: the GEMM reads x / writes dx
 *   in place (col = x[n][g] as a [Cg][P] matrix), in all three directions. Strided or padded 1x1
 *   kernels take the tiled path, whose gather then copies exactly the pixels the output needs.
 *   The gather computes the valid span of the last axis once per column-matrix row and copies short
 *   runs inline; with stride 1 on the last two axes and "same" width (O[2] == I[2], e.g. 3x3 pad 1)
 *   consecutive full output rows are ONE copy of the shifted input plane plus zeroed borders.
 *
 * Workspace (ck_conv_workspace__im2col gives the exact figure): team * rows * tile elements for the
 * column buffers (rows = K, or the block's for bwd_weight; none for the in-place 1x1); tile = the
 * largest count of output pixels with max(team, 8) * rows * tile elements under the workspace limit
 * (default 64 MiB), at least 1; plus (chunks - 1) dw copies for bwd_weight, or (K blocks - 1) y copies
 * for the forward (each at most half the limit). A GEMM that the adapter runs as gemm_small_n.h's
 * "panels" also holds copies of B's columns and of a transposed A for its duration (at most 1 MiB +
 * 192 KiB per worker, not counted).
 * So the extra memory is bounded whatever the problem size (a single column, K elements per worker, is
 * the floor).
 *
 * Threads -- ONE layer at a time per call, never nested:
 *   fwd, bwd_input (threading 1, the default): our OpenMP loops over (image, group, tile) with
 *     p->num_threads workers, each with its own column buffer, while the BLAS is pinned to one thread
 *     (ck_gemm_pin_begin(1)). The forward and the pointwise bwd_input split an image's output pixels
 *     into column tiles when there are fewer images than workers, or than 2 (so that 1 and 2 threads
 *     run the same GEMMs: ck_im2col_make_plan; the forward splits K instead when each block keeps
 *     at least CK_IM2COL_MIN_KROWS rows and K >= 4 P, else its output channels when Kg >= 2 P); the
 *     other bwd_input calls, whose tiles overlap in dx, split an image's input channels into blocks
 *     (disjoint rows of the column matrix and of dx, of at least CK_IM2COL_MIN_ROWS rows) when there
 *     are fewer images than CK_IM2COL_TILE_TEAM. A call with fewer work items than threads runs them
 *     serially, the BLAS still on one thread: the BLAS threads only with threading 0 or a BLAS that cannot be pinned
 *     (its idle threads spin after the call and slow down whatever runs next, e.g. the next OpenMP team).
 *   bwd_weight: our OpenMP loops over (chunk of images, group, block of column-matrix rows); each
 *     item owns its columns of its dw copy and sums over its images and tiles in a fixed order with a
 *     one-thread BLAS, then a second OpenMP loop adds the copies element by element in chunk order; so
 *     dw is bit for bit the same for any thread count (tiles are sized for max(team, 8) workers, and
 *     the chunks for 8 items, for the same reason). Splitting the batch rather than dw's rows keeps
 *     each GEMM full height (taller one-thread GEMMs run faster) and needs no second gather.
 *   threading 0 (ck_conv_im2col_set_threading, for measurements): fwd/bwd_input loops serial and the
 *     BLAS threads with num_threads.
 *   Why our loops rather than the BLAS's threads: one fork/join per call instead of one per GEMM, the
 *   gather runs in parallel too, the 1-vs-2-thread results are reproducible, and it measured faster.
 * Work items are independent (each writes its own slice of y, dx or its dw copy), so they are scheduled
 *   dynamically: on an oversubscribed machine a descheduled worker no longer holds back its static
 *   half (same results bit for bit).
 * Concurrent calls from several Python threads share no mutable state: buffers are per call (and per
 * worker); the workspace limit and the threading switch are process-wide settings read once per call.
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_omp.h"
#include "cnnkern/ck_interrupt.h"
#include "cnnkern/ck_gemm.h"
#include "im2col_internal.h"

#include <assert.h>
#include <string.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#endif

#define CK_IM2COL_TILE_TEAM 8  /* tiles are sized as if this many workers shared the limit */
#define CK_IM2COL_WROWS 64      /* bwd_weight: at least this many column-matrix rows (dw columns) per item */
#define CK_IM2COL_WIDE_ROWS 256 /* bwd_weight: this wide when the batch's chunks give the workers items */
#define CK_IM2COL_MIN_ROWS 64   /* bwd_input channel blocks: at least this many column-matrix rows */
#define CK_IM2COL_MIN_KROWS 512 /* fwd K blocks: at least this many column-matrix rows */

static volatile size_t workspace_limit = (size_t)64 << 20;
static volatile int threading_openmp_loops = 1;

void ck_conv_im2col_set_workspace_limit(size_t bytes) { workspace_limit = bytes; }
size_t ck_conv_im2col_get_workspace_limit(void) { return workspace_limit; }
void ck_conv_im2col_set_threading(int openmp_loops) { threading_openmp_loops = openmp_loops ? 1 : 0; }
int ck_conv_im2col_get_threading(void) { return threading_openmp_loops; }

/* bwd_weight: rows of the column matrix (columns of dw) per work item: K split into CK_IM2COL_TILE_TEAM
 * blocks, a multiple of 16 of at least CK_IM2COL_WROWS (all K when smaller). Each item's GEMM writes a
 * [Kg x rows] block of dw and packs the output gradient again, so wider blocks cost fewer packings and
 * longer rows of dw: on a Zen 2 (2 threads, float32, interleaved against blocks of 64) r50_3x3_7's weight
 * gradient ran 1.31x faster at batch 1 (K = 4608: blocks of 576), 1.25x at batch 8, vgg_conv4_2 and
 * r50_3x3_14 at batch 1 1.14x and 1.12x, 1x1 and 5x5 layers 1.00-1.07x.
 * When the batch's chunks of images (ck_im2col_make_plan) give CK_IM2COL_TILE_TEAM items anyway, fewer
 * blocks of about CK_IM2COL_WIDE_ROWS rows: ceil(K / 256) blocks, but at least ceil(8 / batch), at most 8
 * (Zen 2, 2 threads, against 8 blocks in one process: at batch 8 r50_1x1s2_28 (K = 512) 1.18x float32 /
 * 1.22x float64, r50_conv1 1.16x / 1.20x, vgg_conv1_2 1.12x / 1.13x, r50_1x1_14 1.00x / 1.10x,
 * r50_3x3_56 1.08x / 1.05x, the rest and every batch-1 layer 0.98-1.05x). The blocks depend on K and the
 * batch only, never on the threads. */
static ck_index im2col_weight_rows(ck_index K, ck_index batch)
{
    const ck_index b = batch > 1 ? batch : 1;
    const ck_index least = (CK_IM2COL_TILE_TEAM + b - 1) / b;
    const ck_index wide = (K + CK_IM2COL_WIDE_ROWS - 1) / CK_IM2COL_WIDE_ROWS;
    ck_index blocks = least > wide ? least : wide;
    if (blocks > CK_IM2COL_TILE_TEAM)
        blocks = CK_IM2COL_TILE_TEAM;
    const ck_index want = (K + blocks - 1) / blocks;
    const ck_index rows = want <= CK_IM2COL_WROWS ? CK_IM2COL_WROWS : (want + 15) / 16 * 16;
    return rows < K ? rows : K;
}

static int is_pointwise(const ck_conv_params *p)
{
    for (int a = 0; a < CK_MAX_SPATIAL; ++a)
        if (p->kernel_size[a] != 1 || p->stride[a] != 1 || p->pad_before[a] != 0 || p->pad_after[a] != 0)
            return 0;
    return 1;
}

void ck_im2col_make_plan(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size, im2col_plan *pl)
{
    const size_t limit = workspace_limit;
    pl->Cg = ck_conv_in_per_group(p);
    pl->Kg = ck_conv_out_per_group(p);
    pl->kvol = ck_conv_kernel_volume(p);
    pl->K = pl->Cg * pl->kvol;
    pl->P = ck_conv_out_plane(p);
    pl->in_plane = ck_conv_in_plane(p);
    pl->pointwise = is_pointwise(p);
    const ck_index images = (p->batch > 0 ? p->batch : 1) * p->groups;
    ck_index team = 1;
    const int pin = threading_openmp_loops && ck_gemm_can_pin((int)elem_size);
#if CK_BUILD_OPENMP
    if (pin && p->num_threads > 1)
        team = p->num_threads;
#endif
    pl->blas_threads = pin ? 1 : p->num_threads;
    /* The tile never depends on the thread count (up to CK_IM2COL_TILE_TEAM workers); with the split
     * below, results are bit-for-bit the same for 1 and 2 threads (and for 1..8 wherever the batch
     * gives every worker an item, or cnnkern's own GEMM runs). bwd_weight gathers
     * only a block of rows of the column matrix per work item (im2col_weight_rows). */
    const ck_index tile_team = team > CK_IM2COL_TILE_TEAM ? team : CK_IM2COL_TILE_TEAM;
    const ck_index rows = dir == CK_CONV_BWD_WEIGHT ? im2col_weight_rows(pl->K, p->batch) : pl->K;
    pl->rows = rows;
    pl->row_blocks = (pl->K + rows - 1) / rows;
    ck_index tile = pl->P;
    if (!pl->pointwise) {
        const size_t per_column = (size_t)tile_team * (size_t)rows * elem_size;
        tile = (ck_index)(limit / per_column);
        if (tile < 1)
            tile = 1;
        if (tile > pl->P)
            tile = pl->P;
    }
    ck_index ntiles = (pl->P + tile - 1) / tile;
    /* fwd and pointwise bwd_input: enough work items for every worker, so that the BLAS never threads
     * (its idle threads keep spinning after the call and slow down whatever runs next). Other
     * bwd_input calls keep one item per image: their tiles overlap in dx. */
    const int column_split = dir == CK_CONV_FWD || (dir == CK_CONV_BWD_INPUT && pl->pointwise);
    /* The forward splits output channels instead when the weights outweigh the columns (Kg >= 2 P)
     * and each block keeps at least CK_IM2COL_MIN_ROWS of them: every worker then packs only its rows
     * of the weights, though each gathers the whole column matrix (r50_3x3_7 at batch 1: 1.50 against
     * 1.85 ms; alex_conv2 at batch 1, Kg 192 against P 729, was 7% slower that way). */
    /* The split is made for at least 2 workers whenever our loops may thread, also on one thread:
     * a BLAS's bits depend on each GEMM's shape (OpenBLAS's Haswell sgemm: a column's sum depends on
     * where it falls among the call's 12-column groups), so a split that followed the team gave 1 and
     * 2 threads different bits at batch 1 on Zen 2. One thread then runs both items in turn (on Zen 2
     * -7% to +17% per call at batch 1, within this VM's +-15%). Above 2 threads the split follows
     * the team; where the BLAS runs the GEMMs those bits can differ from 1-2 threads' (cnnkern's own
     * small-N GEMM gives the same bits for any split). */
    /* With a long reduction (K / want >= CK_IM2COL_MIN_KROWS and K >= 4 P: the weights each worker
     * no longer packs outweigh the partial outputs) the forward splits K first: each worker gathers
     * its rows of the column matrix for all the pixels and packs only its columns of the weights, into
     * a partial output; the partials are added up in block order after the loop. The partial outputs
     * are whole copies of y, within half the workspace limit. Zen 2, 2 threads, float32, batch 1,
     * against two column tiles (builds alternated, 3 runs): cb_l4_k7 (K = 6272, P = 100, each worker
     * had packed all 3.2 MB of the weights) 1.2-1.3x faster, r50_3x3_7 1.1x, r50_3x3_14 1.06-1.1x;
     * alex_conv2 (K = 1600, P = 729) was 2-7% slower split, hence K >= 4 P. */
    pl->mblocks = 1;
    pl->kblocks = 1;
    ck_index split_team = team;
#if CK_BUILD_OPENMP
    if (pin && split_team < 2)
        split_team = 2;
#endif
    if (column_split && images * ntiles < split_team) {
        const ck_index want = (split_team + images * ntiles - 1) / (images * ntiles);
        const size_t y_bytes = (size_t)images / (size_t)p->groups * (size_t)p->out_channels
                             * (size_t)pl->P * elem_size;
        if (dir == CK_CONV_FWD && pl->K / want >= CK_IM2COL_MIN_KROWS && pl->K >= 4 * pl->P
            && (size_t)(want - 1) * y_bytes <= limit / 2) {
            pl->kblocks = want;
            pl->rows = (pl->K + want - 1) / want;
        } else if (dir == CK_CONV_FWD && pl->Kg >= 2 * pl->P && pl->Kg / want >= CK_IM2COL_MIN_ROWS) {
            pl->mblocks = want;
        } else {
            ntiles = (split_team + images - 1) / images;
            if (ntiles > pl->P)
                ntiles = pl->P;
        }
    }
    pl->tile = (pl->P + ntiles - 1) / ntiles; /* even tiles, never larger than the bound */
    pl->ntiles = (pl->P + pl->tile - 1) / pl->tile;
    /* bwd_weight with fewer (group, row block) items than CK_IM2COL_TILE_TEAM (small K, e.g. a 1x1
     * kernel on 64 channels: one item): also split the batch into up to that many fixed chunks of
     * images, each summed into its own dw copy (chunk 0 into dw), then added up element by element in
     * chunk order. The chunks depend on the batch and the limit only, never on the thread count. */
    pl->chunks = 1;
    if (dir == CK_CONV_BWD_WEIGHT && p->batch > 1 && p->groups * pl->row_blocks < CK_IM2COL_TILE_TEAM) {
        const ck_index rc = p->groups * pl->row_blocks;
        ck_index chunks = (CK_IM2COL_TILE_TEAM + rc - 1) / rc;
        if (chunks > p->batch)
            chunks = p->batch;
        const size_t dw_bytes = (size_t)p->out_channels * (size_t)pl->K * elem_size;
        const size_t fit = dw_bytes ? (limit / 2) / dw_bytes : 0; /* partial copies within half the limit */
        if ((size_t)(chunks - 1) > fit)
            chunks = (ck_index)fit + 1;
        pl->chunks = chunks;
    }
    /* bwd_input with overlapping tiles and fewer images than CK_IM2COL_TILE_TEAM: blocks of input
     * channels, as many as fill that many workers (never depends on the thread count, so neither do
     * the GEMMs' shapes). */
    pl->cblocks = 1;
    if (dir == CK_CONV_BWD_INPUT && !column_split && images < CK_IM2COL_TILE_TEAM) {
        const ck_index want = (CK_IM2COL_TILE_TEAM + images - 1) / images;
        const ck_index most = pl->K / CK_IM2COL_MIN_ROWS; /* blocks of at least that many GEMM rows */
        pl->cblocks = want < most ? want : most > 1 ? most : 1;
        if (pl->cblocks > pl->Cg)
            pl->cblocks = pl->Cg;
    }
    const ck_index items = dir == CK_CONV_BWD_WEIGHT ? p->groups * pl->row_blocks * pl->chunks
                         : column_split ? images * pl->ntiles * pl->mblocks * pl->kblocks : images * pl->cblocks;
    pl->team = (int)(items < team ? items : team);
    pl->col_bytes = pl->pointwise ? 0 : (size_t)pl->rows * (size_t)pl->tile * elem_size;
    pl->extra_bytes = dir == CK_CONV_BWD_WEIGHT
                    ? (size_t)(pl->chunks - 1) * (size_t)p->out_channels * (size_t)pl->K * elem_size
                    : (size_t)(pl->kblocks - 1) * (size_t)p->batch * (size_t)p->out_channels * (size_t)pl->P
                          * elem_size;
}

size_t ck_conv_workspace__im2col(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size)
{
    im2col_plan pl;
    ck_im2col_make_plan(p, dir, elem_size, &pl);
    return (size_t)pl.team * pl.col_bytes + pl.extra_bytes;
}

/* Split the output pixels [a, b) of one output row (fixed o0, o1) by where the input index along the
 * last axis, i2 = o2 * s + base, is inside [0, n): returns [lo, hi) with a <= lo <= hi <= b. */
static inline void valid_span(ck_index a, ck_index b, ck_index base, ck_index s, ck_index n,
                              ck_index *lo, ck_index *hi)
{
    ck_index first = base >= 0 ? 0 : (-base + s - 1) / s;            /* smallest o2 with i2 >= 0 */
    ck_index end = n - 1 - base >= 0 ? (n - 1 - base) / s + 1 : 0;   /* one past largest o2 with i2 < n */
    if (first < a) first = a;
    if (first > b) first = b;
    if (end > b) end = b;
    if (end < first) end = first;
    *lo = first;
    *hi = end;
}

/* One tap (t0, t1, t2) of the kernel as a column-matrix row sees it: the input offsets off0, off1, base2 of
 * output pixel 0 and the valid output columns [flo, fhi) of a whole output row (valid_span). */
typedef struct im2col_tap {
    ck_index off0, off1, base2, flo, fhi;
} im2col_tap;

static inline im2col_tap tap_of(const ck_conv_params *p, ck_index t0, ck_index t1, ck_index t2)
{
    const ck_index *d = p->dilation, *pb = p->pad_before;
    im2col_tap tp = {t0 * d[0] - pb[0], t1 * d[1] - pb[1], t2 * d[2] - pb[2], 0, 0};
    valid_span(0, p->out_size[2], tp.base2, p->stride[2], p->in_size[2], &tp.flo, &tp.fhi);
    return tp;
}

/* The tap of flat index t = (t0 * KS[1] + t1) * KS[2] + t2, the order of the column matrix's rows. */
static inline im2col_tap tap_at(const ck_conv_params *p, ck_index t)
{
    const ck_index *KS = p->kernel_size;
    return tap_of(p, t / (KS[2] * KS[1]), (t / KS[2]) % KS[1], t % KS[2]);
}

/* The flat case of the gather / scatter (stride 1 on the last two axes, O[2] == I[2]): the count of full
 * output rows from (o1, o2 = 0) with `left` columns to go (<= the rest of the plane row), and their rows
 * [va, vb) of valid input (i1 = o1 + off1 in [0, I[1]); o1 <= va <= vb <= o1 + nrows). */
static inline ck_index flat_rows(const ck_conv_params *p, ck_index o1, ck_index left, ck_index off1, ck_index *va,
                                 ck_index *vb)
{
    const ck_index *O = p->out_size, I1 = p->in_size[1];
    ck_index nrows = left / O[2];
    if (nrows > O[1] - o1)
        nrows = O[1] - o1;
    ck_index a = -off1 > o1 ? -off1 : o1, b = I1 - off1 < o1 + nrows ? I1 - off1 : o1 + nrows;
    if (b < a)
        b = a > o1 + nrows ? o1 + nrows : a;
    if (a > o1 + nrows)
        a = b = o1 + nrows;
    *va = a;
    *vb = b;
    return nrows;
}

/* Advance the output position (o0, o1) by n rows of the last axis (n never passes the end of a plane row). */
static inline void next_rows(const ck_index *O, ck_index n, ck_index *o0, ck_index *o1)
{
    *o1 += n;
    if (*o1 == O[1]) {
        *o1 = 0;
        ++*o0;
    }
}

/* The start of a forward / backward-input call: its plan, then 0 with *st set when it returns at once
 * (empty batch; sizes beyond the BLAS's ints), else 1 with the BLAS set for the call's one threading
 * layer -- our loops (BLAS on 1 thread) or the BLAS (num_threads), never both; ck_gemm_pin_end() after. */
static int ck_im2col_begin(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size, im2col_plan *pl,
                           ck_status *st)
{
    ck_im2col_make_plan(p, dir, elem_size, pl);
    *st = CK_OK;
    if (p->batch <= 0)
        return 0;
    const int fwd = dir == CK_CONV_FWD; /* forward: [Kg][K] @ [K][P]; bwd_input: [K][Kg] @ [Kg][P] */
    if (!ck_gemm_fits(fwd ? pl->Kg : pl->K, fwd ? pl->K : pl->Kg, pl->K, pl->P, pl->P)) {
        *st = CK_ERR_UNSUPPORTED;
        return 0;
    }
    ck_gemm_pin_begin(pl->blas_threads);
    return 1;
}

/* A worker's column buffer (NULL for the in-place pointwise path); sets *nomem when it cannot have one. */
static void *ck_im2col_col_buffer(const im2col_plan *pl, int *nomem)
{
    if (pl->pointwise)
        return NULL;
    void *col = ck_aligned_alloc(pl->col_bytes);
    if (col == NULL)
        *nomem = 1;
    return col;
}

/* One call of an im2col operator as its work items see it (arrays in the operator's argument order). */
typedef struct im2col_job {
    const ck_conv_params *p;
    const im2col_plan *pl;
    const void *in0, *in1, *b;
    void *out;
    void *parts;       /* bwd_weight: the dw copies of chunks 1..; fwd: the y copies of K blocks 1.. */
    ck_index part_size; /* elements of one of those copies */
} im2col_job;

/* Runs item(job, it, col) for it < items on pl->team workers (dynamic schedule; each worker has its own
 * column buffer col, NULL on the pointwise path; Ctrl-C stops the remaining items), then ends the BLAS pin
 * taken before. CK_ERR_NOMEM when a worker could not have its column buffer. */
static ck_status im2col_run_items(const im2col_job *job, ck_index items,
                                  void (*item)(const im2col_job *, ck_index, void *))
{
    int nomem = 0;
    CK_OMP(parallel num_threads(job->pl->team) reduction(|:nomem))
    {
        void *col = ck_im2col_col_buffer(job->pl, &nomem);
        CK_OMP(for schedule(dynamic, 1))
        for (ck_index it = 0; it < items; ++it) {
            if (nomem || ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                continue;
            item(job, it, col);
        }
        ck_aligned_free(col);
    }
    ck_gemm_pin_end();
    return nomem ? CK_ERR_NOMEM : CK_OK;
}

/* Taps kept per gather call (kernels up to 16 x 16 in 2-D, 6 x 6 x 6 in 3-D); larger kernels compute
 * each row's tap as they go. */
#define IM2COL_TAP_CACHE 256

#define REAL float
#define IM2COL_GATHER_ROWS im2col_gather_rows_f32
#define COL2IM_SCATTER col2im_scatter_f32
#define ZERO_BORDERS zero_borders_f32
#define ADD_COPIES add_copies_f32
#define FWD_ITEM im2col_fwd_item_f32
#define BWD_INPUT_ITEM im2col_bwd_input_item_f32
#define BWD_WEIGHT_ITEM im2col_bwd_weight_item_f32
#define GEMM ck_gemm_f32
#define CONV_FWD_IM2COL ck_conv_fwd__im2col_f32
#define CONV_BWD_INPUT_IM2COL ck_conv_bwd_input__im2col_f32
#define CONV_BWD_WEIGHT_IM2COL ck_conv_bwd_weight__im2col_f32
#include "conv_im2col_template.h" /* #undefs the names above */

#define REAL double
#define IM2COL_GATHER_ROWS im2col_gather_rows_f64
#define COL2IM_SCATTER col2im_scatter_f64
#define ZERO_BORDERS zero_borders_f64
#define ADD_COPIES add_copies_f64
#define FWD_ITEM im2col_fwd_item_f64
#define BWD_INPUT_ITEM im2col_bwd_input_item_f64
#define BWD_WEIGHT_ITEM im2col_bwd_weight_item_f64
#define GEMM ck_gemm_f64
#define CONV_FWD_IM2COL ck_conv_fwd__im2col_f64
#define CONV_BWD_INPUT_IM2COL ck_conv_bwd_input__im2col_f64
#define CONV_BWD_WEIGHT_IM2COL ck_conv_bwd_weight__im2col_f64
#include "conv_im2col_template.h"
