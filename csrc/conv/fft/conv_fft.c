/*
 * conv_fft.c -- the "fft" algorithm: plans (tiling choice, transform sizes), workspace, plain entry
 * points. The passes themselves are in conv_fft_template.h (per dtype, via conv_fft_ops.c).
 *
 * Contract (tensors and semantics: cnnkern/ck_conv.h; transforms: cnnkern/ck_fft.h; complex GEMM:
 * cnnkern/ck_gemm.h). Stride 1 and dilation 1 only (else CK_ERR_UNSUPPORTED); any padding >= 0,
 * groups, 1-D/2-D/3-D, float32/float64. OUT arrays are overwritten.
 *
 * The maths, per spatial axis (the three axes are independent): output o of a correlation reads the
 * padded input at o + t, t < k. A tile of M consecutive outputs starting at o0 needs the padded input
 * window [o0, o0 + M + k - 1); its part inside the input, [a, b) in window coordinates, is copied to
 * a zero buffer of length N (the transform size) at the same offsets. With N >= max(b, L - a, k, M),
 * L = M + k - 1, the circular correlation of length N equals the linear one at o < M: window
 * positions >= N alias to ones < L - N <= a, which hold zeros. So
 *   whole-image regime: one tile per axis (M = out); the bound above lets "same"/"valid" use
 *     N ~ in + max(pad) instead of in + pad_before + pad_after + k - 1;
 *   tiled regime (overlap-save): fixed N (8 ... 256), M = N - k + 1, ceil(out / M) tiles; memory and
 *     cost per output stay bounded for large images with moderate kernels.
 * Forward:   Y[f] (C_out/g x T) = W[f] (C_out/g x C_in/g) @ X[f] (C_in/g x T) per frequency f and group,
 *            T = images x tiles of the block; W[f] = conj(DFT(w)) (the plan's kernel spectrum); then the
 *            inverse transform, crop, 1/N scale and bias. The products: the own kernel of
 *            conv_fft_mac.c (Y = Re(W) X + Im(W) (i X), two FMAs per REAL, i X formed once per f) for
 *            blocks of <= 256 tiles (faster than the BLAS there), else the BLAS cgemm (one-thread).
 * Kernel spectrum: 1-D/2-D plans whose GEMM form (dft_flops) costs at most 4x a real FFT compute it as
 *            real GEMMs per chunk of kernels over only the k1 x k2 nonzero inputs, the second axis as
 *            P +- i Q from cos / sin GEMMs over f1 <= N1/2 (a pruned DFT:
 *            DFT_SPECTRUM in conv_fft_template.h; tables correctly rounded, exact on the axes),
 *            ~3x faster than lane transforms for small kernels. Others (3-D,
 *            large transforms) use the lane transforms. Rows of the stored spectrum are ld apart
 *            (ck_conv_fft_spec_ld: + 16 when C_out C_in/g is a multiple of 256, cache sets).
 * Fused plain run (ck_conv_fft_fused_channels): a plain forward / bwd_input call that fits one tile
 *            block, one group, GEMM-form spectra and T <= 2 QC never stores the kernel spectrum: per
 *            chunk of QC output channels (its spectrum <= 1.5 MiB, or <= 2 MiB when T needs more rows,
 *            a multiple of 8 or 4) a worker computes the chunk's spectrum (split re/im, in its cache)
 *            and at once its products for every f. Each chunk reads all of X, so fusing pays when
 *            T is small against QC.
 * bwd_input: the forward correlation of dy with the flipped, channel-swapped kernel and padding
 *            k - 1 - pad (which may be negative: the gather handles any offset) -- a second plan.
 * bwd_weight: dW[f] += DY[f] (C_out/g x T) @ X[f]^H (T x C_in/g) over all tile blocks in order, then
 *            dw = crop(IDFT(conj(dW))) / N. (BLAS products and its cost model unchanged.)
 * Tiling choice (choose_tiles): the smallest modelled cost among whole-image and each fixed tile size
 * per axis whose kernel spectrum (F x C_out x C_in/g complex) fits the workspace limit; a plan may force whole-image or a tile size per axis.
 * Forward-type plans: transforms ~ N log N per image and tile, the kernel spectrum (GEMM flops or
 * transforms), product complex MACs, moved spectrum elements, and the first touch of a stored kernel
 * spectrum or the X passes of a fused call (constants: COST_*_F, fitted with
 * benchmarks/fit_fft_tiling.py, which times plain calls with each tiling forced by the environment
 * variable CNNKERN_FFT_TILE="n0,n1,n2" -- read by the plain forward / bwd_input entry points only, for
 * that script; 0 auto, -1 whole, N a tile size; ignored when malformed or unusable for the problem);
 * candidates too large for the lane-interleaved
 * transforms: the older model scaled by COST_OLD_SCALE_F. bwd_weight: the older model
 * (COST_FFT, COST_MAC, COST_COPY). Whole-image sizes prefer 2^a 3^b (within 5%) and avoid
 * powers of two >= 512 (cache aliasing of the rows).
 * Work items: G images (channel x tile) per transform call. G = the transform lanes (16 float, 8
 * double) when 3 G N elements take <= 2 MiB: the images are interleaved lane by lane
 * (ck_fft_forward_lanes_*), every copy a contiguous run; else G < lanes whole images per call with
 * the per-image transforms (large images: whole-image regime of a few channels). Zero lines of
 * kernels and of output tiles (bwd_weight) skip the real-axis pass.
 *
 * Workspace (ck_conv_workspace__fft gives the figure): the kernel spectrum of the plain entry points,
 * 2 F ld elements (bwd_weight: the dW accumulator instead); per block of Tb tiles, spectra
 * 2 F (C_in + C_out) Tb; per worker G (N + 2 F) + transform scratch, and with the own product kernel
 * i X of one frequency (2 C_in/g Tb); GEMM-form spectra: per worker the chunk buffers (DFT_CHUNK_ELEMS)
 * and the tables. A fused call: X, i X and Y of its block, per worker the larger of the transform and
 * chunk buffers, no kernel spectrum. Tb is the largest count under the im2col workspace limit
 * (cnnkern.get_workspace_limit(), default 64 MiB) after the kernel spectrum / dW accumulator and the
 * workers' buffers, >= 1, and at most max(64, the count whose block spectra take 8 MiB).
 *
 * Allocations: workspaces through ck_aligned_alloc (which gives blocks >= 4 MiB whole transparent huge
 * pages: first touches of 4 KiB pages are costly); the plan struct and twiddle tables with malloc.
 *
 * Threads -- our OpenMP loops, the BLAS pinned to one thread (ck_gemm_pin_begin(1), also at 1 thread:
 * an unpinned OpenBLAS threads each tiny GEMM): the transforms
 * run over work items of G images, the complex products over frequencies (each f is one thread's,
 * with the own kernel or a one-thread GEMM), GEMM-form spectra and fused calls over chunks of kernels /
 * output channels (sizes from the plan only), so every output element is computed by one thread in a
 * fixed order and the result is bit-for-bit the same for any thread count (block, item and chunk sizes
 * never depend on the threads). Chosen because there are thousands of small per-frequency GEMMs (e.g. 128 x 128 x 8): one
 * fork/join per pass instead of one per GEMM, and the transforms, which dominate for few channels,
 * thread too. If the BLAS cannot be pinned the product loop runs serially and the BLAS threads.
 */
#include "fft_internal.h"

#include "cnnkern/ck_gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest per-worker buffers (3 x lanes x image) for the lane-interleaved transforms. */
#ifndef CK_FFT_LANE_BYTES
#define CK_FFT_LANE_BYTES (2 << 20)
#endif

static const ck_index TILE_SIZES[] = {8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256};
#define N_TILE_SIZES ((int)(sizeof TILE_SIZES / sizeof TILE_SIZES[0]))

/* Modelled cost constants (seconds per unit), fitted on the 2-core AVX2 machine: one "N log2 N" unit of
 * a real transform, one complex multiply-add of the channel products, one copied complex element.
 * bwd_weight plans (BLAS products, lane-transform inverse of dW) keep these. */
#define COST_FFT 0.6e-9
#define COST_MAC 0.12e-9
#define COST_COPY 0.4e-9
/* Forward-type plans (own product kernel, GEMM-form kernel spectra), per N log2 N unit of the
 * transforms (images and, for lane-transform spectra, kernels), per GEMM flop of a GEMM-form kernel
 * spectrum, per product complex MAC, per spectrum element moved (gathers, lane copies and the
 * transform's per-element work), per byte of a kernel spectrum that a plain call stores (allocation,
 * first touch, write and read back; none when the call fuses, see ck_conv_fft_fused_channels) and per
 * byte of X and i X that the chunks of a fused call read. Fitted by benchmarks/fit_fft_tiling.py
 * (plain calls with every allowed tiling forced through CNNKERN_FFT_TILE; how and what it gave:
 * docs/KERNEL_MEASUREMENTS.md):
 *   PYTHONPATH=$PWD python benchmarks/fit_fft_tiling.py --json run1.json   (a second run: run2.json)
 *   PYTHONPATH=$PWD python benchmarks/fit_fft_tiling.py --load run1.json run2.json */
#define COST_FFT_F 0.0533e-9
#define COST_DFT_F 0.0193e-9
#define COST_MAC_F 0.0623e-9
#define COST_COPY_F 0.698e-9
#define COST_SPEC_BYTE_F 0.118e-9
#define COST_XPASS_BYTE_F 0.0113e-9
/* Forward-type candidates outside the lane fit (per-image transforms) use the older model times this
 * (its weights kept; geometric-mean scale to today's measured times of the 1024 x 1024 float64
 * tilings, which it then predicts within 0.77-1.20), so that they compare with the lane-interleaved
 * candidates in seconds: unscaled, 1024 x 1024 k 63 tiles of 96 (lane fit) looked cheaper than tiles of
 * 256 and ran 2.2x slower. */
#define COST_OLD_SCALE_F 0.30

static ck_index max_i(ck_index a, ck_index b) { return a > b ? a : b; }
static ck_index min_i(ck_index a, ck_index b) { return a < b ? a : b; }
static ck_index clamp_i(ck_index v, ck_index lo, ck_index hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Transform size of the whole-image regime along axis a (see the contract). */
static ck_index whole_size(const ck_conv_params *p, int a)
{
    const ck_index k = p->kernel_size[a], out = p->out_size[a], in = p->in_size[a], pb = p->pad_before[a];
    const ck_index L = out + k - 1;
    const ck_index lo = clamp_i(pb, 0, L), hi = clamp_i(pb + in, 0, L);
    const ck_index need = max_i(max_i(hi, L - lo), max_i(k, out));
    const ck_index smooth = ck_fft_good_size(need, a == 2);
    /* radix-5-heavy sizes run slower per point (1125 x 1152: 12.7 ms, 1152 x 1152: 8.8 ms): take the
     * next 2^a 3^b size when it is at most 5% larger */
    ck_index m = smooth;
    while (m % 5 == 0)
        m /= 5;
    if (m != smooth) {
        ck_index n23 = need;
        for (;; ++n23) {
            ck_index r = n23;
            while (r % 2 == 0) r /= 2;
            while (r % 3 == 0) r /= 3;
            if (r == 1 && (a != 2 || n23 % 2 == 0))
                break;
        }
        if (n23 * 100 <= smooth * 105)
            return n23;
    }
    /* large powers of two: rows 2^k elements apart alias in the caches (1024 x 1024: 9.9 ms per
     * transform, 1080 x 1080: 8.4 ms); take the next size */
    if (smooth >= 512 && (smooth & (smooth - 1)) == 0)
        return ck_fft_good_size(smooth + 1, a == 2);
    return smooth;
}

typedef struct axis_choice { ck_index n, m, nt; } axis_choice;

/* Candidates along axis a: whole-image first, then each fixed tile size giving >= 2 tiles. */
static int axis_candidates(const ck_conv_params *p, int a, ck_index forced, axis_choice *out)
{
    const ck_index k = p->kernel_size[a], o = p->out_size[a];
    int count = 0;
    if (forced > 0) {
        const ck_index m = forced - k + 1;
        out[0].n = forced;
        out[0].m = min_i(m, o);
        out[0].nt = (o + m - 1) / m;
        return 1;
    }
    out[count].n = whole_size(p, a);
    out[count].m = o;
    out[count].nt = 1;
    ++count;
    if (forced < 0 || (a < 2 && p->in_size[a] == 1 && k == 1))
        return count;
    for (int i = 0; i < N_TILE_SIZES; ++i) {
        const ck_index n = TILE_SIZES[i], m = n - k + 1;
        if (m < 1 || n >= out[0].n)
            continue;
        const ck_index nt = (o + m - 1) / m;
        if (nt < 2)
            continue;
        out[count].n = n;
        out[count].m = m;
        out[count].nt = nt;
        ++count;
    }
    return count;
}

static int valid_forced(const ck_conv_params *p, const ck_index tile[3])
{
    for (int a = 0; a < 3; ++a) {
        if (tile[a] <= 0)
            continue;
        if (!ck_fft_is_good_size(tile[a]) || (a == 2 && tile[a] % 2) || tile[a] < p->kernel_size[a])
            return 0;
    }
    return 1;
}

/* GEMM flops per kernel of the GEMM-form kernel spectrum for transform sizes n0 x n1 x n2 (4 nh k1 k2 +
 * 8 (n1/2 + 1) k1 nh), or 0 when it
 * does not apply (3-D, or more than DFT_GEMM_RATIO times a real FFT's ~2.5 N log2 N: the GEMMs run
 * several times nearer peak than lane transforms of small zero-padded kernels, e.g. cb_l4_k7, 16384
 * 7x7 kernels to 16x16, 1 thread: 13.6 ms lane transforms, ~4.4 ms GEMM form). */
#define DFT_GEMM_RATIO 4.0
static double dft_flops(const ck_conv_params *p, ck_index n0, ck_index n1, ck_index n2)
{
    if (n0 != 1 || p->kernel_size[0] != 1 || p->out_channels * ck_conv_in_per_group(p) < 16)
        return 0; /* 3-D, or fewer kernels than the lanes (one 1152 x 1152 kernel: the FFT is cheaper) */
    const double k1 = (double)p->kernel_size[1], k2 = (double)p->kernel_size[2];
    const double N1 = (double)n1, N2 = (double)n2, nh = (double)(n2 / 2 + 1);
    const double gemm = 4.0 * nh * k1 * k2 + 8.0 * (double)(n1 / 2 + 1) * k1 * nh;
    const double nr = N1 * N2, fft = 2.5 * nr * (nr > 2 ? log2(nr) : 1.0);
    return gemm > DFT_GEMM_RATIO * fft ? 0 : gemm;
}

static ck_index fused_qc(const ck_conv_params *p, ck_index n1, ck_index n2, ck_index T, size_t elem_size);

/* The QC of a plain call with these transform sizes and T tiles when it would fuse
 * (ck_conv_fft_fused_channels, without the one-block condition), else 0. */
static ck_index fuses(const ck_conv_params *p, ck_index n0, ck_index n1, ck_index n2, double T, size_t elem_size)
{
    if (dft_flops(p, n0, n1, n2) <= 0 || p->groups != 1 || (p->in_channels == 1 && p->out_channels == 1))
        return 0;
    const ck_index qc = fused_qc(p, n1, n2, (ck_index)T, elem_size);
    return T <= 2.0 * (double)qc ? qc : 0;
}

/* Pick per-axis transform sizes and tiles (see the contract); tile[a]: 0 auto, -1 whole, >0 forced N. */
static void choose_tiles(ck_conv_fft_plan *pl, const ck_index tile[3], size_t elem_size)
{
    const ck_conv_params *p = &pl->p;
    axis_choice cand[3][N_TILE_SIZES + 1];
    int nc[3];
    for (int a = 0; a < 3; ++a)
        nc[a] = axis_candidates(p, a, tile ? tile[a] : 0, cand[a]);
    const double cin = (double)p->in_channels, cout = (double)p->out_channels;
    const double cig = (double)ck_conv_in_per_group(p);
    const double limit = (double)ck_conv_im2col_get_workspace_limit();
    double best = INFINITY, best_mem = INFINITY;
    int bi[3] = {0, 0, 0}, mi[3] = {0, 0, 0};
    for (int i0 = 0; i0 < nc[0]; ++i0)
        for (int i1 = 0; i1 < nc[1]; ++i1)
            for (int i2 = 0; i2 < nc[2]; ++i2) {
                const axis_choice *c0 = &cand[0][i0], *c1 = &cand[1][i1], *c2 = &cand[2][i2];
                const double nreal = (double)c0->n * c1->n * c2->n;
                const double nfreq = (double)c0->n * c1->n * (c2->n / 2 + 1);
                const double T = (double)max_i(p->batch, 1) * c0->nt * c1->nt * c2->nt;
                const double lg = nreal > 2 ? log2(nreal) : 1.0;
                /* per-image transforms (images too big for the lane-interleaved buffers) of TILES cost
                 * ~1.3x per point what lane-interleaved tiles or one whole image do (1024x1024, k 15-63,
                 * float64: 96x96 tiles 0.43 ns per N log2 N, 128x128 0.57, whole image 0.48) */
                const int tiled = c0->nt > 1 || c1->nt > 1 || c2->nt > 1;
                const double per_image =
                    tiled && 3.0 * (double)elem_size * nreal * (elem_size == 4 ? 16 : 8) > (double)CK_FFT_LANE_BYTES ? 1.3 : 1.0;
                double cost;
                /* the forward-type fit covers lane-interleaved transforms only (images whose buffers fit
                 * CK_FFT_LANE_BYTES); larger images keep the older model (per-image transforms: a
                 * 1080 x 1080 whole image, 1 channel, k 31, ran 6x slower than the fit's estimate
                 * against 96 x 96 tiles) */
                const int lane_fit = 3.0 * (double)elem_size * nreal * (elem_size == 4 ? 16 : 8) <= (double)CK_FFT_LANE_BYTES;
                if (pl->dir == CK_CONV_BWD_WEIGHT || !lane_fit) {
                    cost = COST_FFT * per_image * ((cin + cout) * T + cout * cig) * nreal * lg +
                           COST_MAC * T * nfreq * cout * cig + COST_COPY * T * nfreq * (cin + cout);
                    if (pl->dir != CK_CONV_BWD_WEIGHT)
                        cost *= COST_OLD_SCALE_F;
                } else {
                    const double g = dft_flops(p, c0->n, c1->n, c2->n);
                    const double kspec = g > 0 ? COST_DFT_F * g : COST_FFT_F * per_image * nreal * lg;
                    cost = COST_FFT_F * per_image * (cin + cout) * T * nreal * lg + cout * cig * kspec +
                           COST_MAC_F * T * nfreq * cout * cig + COST_COPY_F * per_image * T * nfreq * (cin + cout);
                    const ck_index qc = fuses(p, c0->n, c1->n, c2->n, T, elem_size);
                    if (qc == 0)
                        cost += COST_SPEC_BYTE_F * 2.0 * (double)elem_size * nfreq * cout * cig;
                    else /* each chunk of qc output channels reads X and i X */
                        cost += COST_XPASS_BYTE_F * ceil(cout / (double)qc) * 4.0 * (double)elem_size * nfreq * cin * T;
                }
                const double mem = 2.0 * (double)elem_size * nfreq * (cout * cig + (cin + cout));
                if (mem < best_mem) {
                    best_mem = mem;
                    mi[0] = i0; mi[1] = i1; mi[2] = i2;
                }
                if (mem <= limit && cost < best) {
                    best = cost;
                    bi[0] = i0; bi[1] = i1; bi[2] = i2;
                }
            }
    const int *pick = best < INFINITY ? bi : mi;
    for (int a = 0; a < 3; ++a) {
        pl->n[a] = cand[a][pick[a]].n;
        pl->m[a] = cand[a][pick[a]].m;
        pl->ntiles[a] = cand[a][pick[a]].nt;
    }
}

static void derive_bwd_input(const ck_conv_params *u, ck_conv_params *d)
{
    *d = *u;
    d->in_channels = u->out_channels;
    d->out_channels = u->in_channels;
    for (int a = 0; a < 3; ++a) {
        d->in_size[a] = u->out_size[a];
        d->out_size[a] = u->in_size[a];
        d->pad_before[a] = u->kernel_size[a] - 1 - u->pad_before[a];
        d->pad_after[a] = u->kernel_size[a] - 1 - u->pad_after[a];
    }
}

const char *ck_conv_fft_unsupported(const ck_conv_params *p, ck_conv_direction dir)
{
    (void)dir;
    for (int a = 0; a < 3; ++a)
        if (p->stride[a] != 1 || p->dilation[a] != 1)
            return "supports stride 1 and dilation 1 only: a strided or dilated correlation is not a plain "
                   "product of spectra";
    return NULL;
}

int ck_conv_fft_supports(const ck_conv_params *p) { return ck_conv_fft_unsupported(p, CK_CONV_FWD) == NULL; }

ck_status ck_conv_fft_plan_create(const ck_conv_params *p, ck_conv_direction dir, const ck_index tile[3],
                                  size_t elem_size, ck_conv_fft_plan **out)
{
    *out = NULL;
    if (!ck_conv_fft_supports(p))
        return CK_ERR_UNSUPPORTED;
    ck_conv_fft_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return CK_ERR_NOMEM;
    pl->user = *p;
    pl->dir = dir;
    if (dir == CK_CONV_BWD_INPUT)
        derive_bwd_input(p, &pl->p);
    else
        pl->p = *p;
    if (tile && !valid_forced(&pl->p, tile)) {
        free(pl);
        return CK_ERR_INVALID;
    }
    choose_tiles(pl, tile, elem_size);
    pl->tiles = pl->ntiles[0] * pl->ntiles[1] * pl->ntiles[2];
    pl->nreal = pl->n[0] * pl->n[1] * pl->n[2];
    pl->nfreq = pl->n[0] * pl->n[1] * (pl->n[2] / 2 + 1);
    /* images per work item: the transform lanes (16 float / 8 double) when their buffers take at most
     * 2 MiB -- lane-interleaved transforms, spectra moved in runs of `lanes` complex values; else as
     * many whole images as fit in 512 KiB (>= 1, fewer than the lanes: per-image transforms) */
    const ck_index lanes = elem_size == 4 ? CK_FFT_LANES_F32 : CK_FFT_LANES_F64;
    const ck_index bytes = (ck_index)elem_size * 3 * pl->nreal;
    if (bytes * lanes <= (ck_index)CK_FFT_LANE_BYTES)
        pl->group = lanes;
    else
        pl->group = clamp_i(((ck_index)512 << 10) / bytes, 1, lanes - 1);
    pl->fft = ck_fft_plan_create(pl->n);
    if (!pl->fft) {
        free(pl);
        return CK_ERR_NOMEM;
    }
    *out = pl;
    return CK_OK;
}

void ck_conv_fft_plan_destroy(ck_conv_fft_plan *pl)
{
    if (!pl)
        return;
    ck_fft_plan_destroy(pl->fft);
    free(pl);
}

void ck_conv_fft_plan_info(const ck_conv_fft_plan *pl, ck_index n[3], ck_index ntiles[3], ck_index *block_tiles,
                           size_t elem_size)
{
    for (int a = 0; a < 3; ++a) {
        n[a] = pl->n[a];
        ntiles[a] = pl->ntiles[a];
    }
    *block_tiles = ck_conv_fft_block_tiles(pl, elem_size);
}

/* Complex elements between frequencies of the kernel spectrum: C_out C_in/g, + 16 when that is a multiple
 * of 256 (rows a power-of-two multiple of 2 KiB apart share cache sets: writing 792 such rows of 80
 * values per chunk ran ~6x slower, cb_l2_k9 24 x 64). */
ck_index ck_conv_fft_spec_ld(const ck_conv_fft_plan *pl)
{
    const ck_index nimg = pl->p.out_channels * ck_conv_in_per_group(&pl->p);
    return nimg % 256 == 0 ? nimg + 16 : nimg;
}

size_t ck_conv_fft_spectrum_elems(const ck_conv_fft_plan *pl)
{
    return (size_t)pl->nfreq * (size_t)ck_conv_fft_spec_ld(pl);
}

/* GEMM-form kernel spectrum (see fft_internal.h and dft_flops). Chunk: Q kernels (multiple of 16,
 * 16 ... 512, at most the kernel count) whose W block (2 N1 nh Q REALs) takes about 512 KiB of float32. */
ck_index ck_conv_fft_dft_chunk(const ck_conv_fft_plan *pl)
{
    if (dft_flops(&pl->p, pl->n[0], pl->n[1], pl->n[2]) <= 0)
        return 0;
    const ck_index q = ((ck_index)(512 << 10) / (4 * 2 * pl->n[1] * (pl->n[2] / 2 + 1))) / 16 * 16;
    /* never more columns than kernels (one 1080 x 1080 kernel padded to 16 took 300 MB and 0.2 s) */
    return min_i(clamp_i(q, 16, 512), max_i(1, pl->p.out_channels * ck_conv_in_per_group(&pl->p)));
}

static ck_index fused_qc(const ck_conv_params *p, ck_index n1, ck_index n2, ck_index T, size_t elem_size)
{
    const ck_index per = (ck_index)elem_size * 2 * n1 * (n2 / 2 + 1) * p->in_channels;
    ck_index qc = ((ck_index)3 << 19) / per;
    const ck_index want = (T + 1) / 2, most = ((ck_index)2 << 20) / per; /* T <= 2 QC, W <= 2 MiB */
    if (qc < want)
        qc = want < most ? want : most;
    qc = qc >= 8 ? (qc + 7) / 8 * 8 : 4; /* fewer rows than 4 run the kernel's 1-row tiles (k11_64 whole: 2x slower) */
    return clamp_i(qc, 1, p->out_channels);
}

void ck_conv_fft_unit(ck_index j, ck_index n, size_t elem_size, void *c, void *s)
{
    long double cv, sv;
    if ((4 * j) % n == 0) { /* exact on the axes */
        static const long double C4[4] = {1, 0, -1, 0}, S4[4] = {0, 1, 0, -1};
        cv = C4[(4 * j) / n];
        sv = S4[(4 * j) / n];
    } else {
        const long double a = 6.283185307179586476925286766559L * (long double)j / (long double)n;
        cv = cosl(a);
        sv = sinl(a);
    }
    if (elem_size == 4) {
        *(float *)c = (float)cv;
        *(float *)s = (float)sv;
    } else {
        *(double *)c = (double)cv;
        *(double *)s = (double)sv;
    }
}

/* Own product kernel up to CK_FFT_MAC_MAX_T tiles per block (beyond, the BLAS's packing pays off). */
#define CK_FFT_MAC_MAX_T 256
int ck_conv_fft_own_mac(const ck_conv_fft_plan *pl, ck_index Tb)
{
    (void)pl;
    return Tb <= CK_FFT_MAC_MAX_T;
}

/* Fused plain run: GEMM-form spectra, one group, one tile block, own products, not a 1x1-channel
 * problem, T <= 2 QC. QC: output channels whose spectrum (2 N1 nh C_in REALs each) takes <= 1.5 MiB
 * rounded down to a multiple of 8 (the kernel's row tiles), else 4 (at most C_out). */
ck_index ck_conv_fft_fused_channels(const ck_conv_fft_plan *pl, size_t elem_size)
{
    const ck_conv_params *p = &pl->p;
    const ck_index total = p->batch * pl->tiles;
    if (ck_conv_fft_dft_chunk(pl) == 0 || p->groups != 1 || (p->in_channels == 1 && p->out_channels == 1) ||
        total > ck_conv_fft_block_tiles(pl, elem_size) || !ck_conv_fft_own_mac(pl, total))
        return 0;
    const ck_index qc = fused_qc(p, pl->n[1], pl->n[2], total, elem_size);
    /* each chunk reads all of X (C_in x T per f) once, the unfused run writes and reads the whole
     * kernel spectrum (C_out x C_in per f) once: fuse when the X traffic, C_out / QC passes, is at
     * most ~2x the spectrum's (from last-level cache rather than memory) */
    return total <= 2 * qc ? qc : 0;
}

int ck_conv_fft_env_tile(const ck_conv_params *p, ck_conv_direction dir, ck_index tile[3])
{
    const char *e = getenv("CNNKERN_FFT_TILE");
    ck_conv_params d;
    long v[3];
    char *end = NULL;
    if (!e || !*e)
        return 0;
    for (int a = 0; a < 3; ++a) {
        v[a] = strtol(e, &end, 10);
        if (end == e || v[a] < -1 || (a < 2 ? *end != ',' : *end != '\0'))
            return 0;
        e = end + 1;
    }
    for (int a = 0; a < 3; ++a)
        tile[a] = (ck_index)v[a];
    /* a tuning knob never makes a call fail: a tiling this problem cannot use (see valid_forced) or
     * larger than the whole image along an axis (a huge workspace for nothing) is ignored */
    if (dir == CK_CONV_BWD_INPUT)
        derive_bwd_input(p, &d);
    else
        d = *p;
    if (!valid_forced(&d, tile))
        return 0;
    for (int a = 0; a < 3; ++a)
        if (tile[a] > whole_size(&d, a))
            return 0;
    return 1;
}

ck_index ck_conv_fft_thread_elems(const ck_conv_fft_plan *pl)
{
    return pl->group * (pl->nreal + 2 * pl->nfreq) + ck_fft_scratch_elems(pl->fft);
}

#define CK_FFT_BLOCK_TEAM 8 /* blocks are sized as if this many workers shared the limit */

ck_index ck_conv_fft_block_tiles(const ck_conv_fft_plan *pl, size_t elem_size)
{
    const ck_conv_params *p = &pl->p;
    const double limit = (double)ck_conv_im2col_get_workspace_limit();
    double fixed = (double)CK_FFT_BLOCK_TEAM * (double)ck_conv_fft_thread_elems(pl) * (double)elem_size;
    /* the kernel spectrum (plain calls) or the dW accumulator shares the limit with the blocks */
    fixed += 2.0 * (double)elem_size * (double)ck_conv_fft_spectrum_elems(pl);
    const double per_tile = 2.0 * (double)elem_size * (double)pl->nfreq * (double)(p->in_channels + p->out_channels);
    const ck_index total = max_i(1, p->batch * pl->tiles);
    double tb = (limit - fixed) / per_tile;
    /* and at most ~8 MiB of block spectra (but >= 64 tiles, for full GEMMs): the blocks stay in the
     * last-level cache and fewer fresh pages are touched per call */
    const double cache_tiles = (double)(8 << 20) / per_tile;
    if (tb > cache_tiles) {
        /* forward-type: the 64-tile floor never goes past the limit (with the kernel spectrum counted
         * above, a 64-channel 512 x 512 layer otherwise took 113 MiB) */
        const double floor64 = pl->dir == CK_CONV_BWD_WEIGHT || tb > 64 ? 64 : tb;
        tb = cache_tiles > floor64 ? cache_tiles : floor64;
    }
    if (tb < 1)
        tb = 1;
    return tb >= (double)total ? total : (ck_index)tb;
}

size_t ck_conv_workspace__fft(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size, int num_threads)
{
    ck_conv_fft_plan *pl = NULL;
    if (ck_conv_fft_plan_create(p, dir, NULL, elem_size, &pl) != CK_OK)
        return 0;
    const ck_index tb = ck_conv_fft_block_tiles(pl, elem_size);
    const size_t team = (size_t)(num_threads < 1 ? 1 : num_threads);
    const size_t worker = (size_t)ck_conv_fft_thread_elems(pl);
    const ck_index k1 = pl->p.kernel_size[1], k2 = pl->p.kernel_size[2], nh = pl->n[2] / 2 + 1;
    /* GEMM-form spectrum buffers of Q kernels (DFT_CHUNK_ELEMS) and the tables (DFT_TAB_ELEMS) */
#define DFT_ELEMS(Q) ((size_t)((Q) * k1 * k2 + 2 * nh * (Q) * k1 + 4 * (pl->n[1] / 2 + 1) * nh * (Q) + 2 * pl->n[1] * nh * (Q)))
    const size_t tab = (size_t)(2 * nh * k2 + 2 * (pl->n[1] / 2 + 1) * k1);
    const size_t blocks = (size_t)(2 * pl->nfreq * (pl->p.in_channels + pl->p.out_channels) * tb);
    size_t elems;
    const ck_index qc = dir == CK_CONV_BWD_WEIGHT || p->batch == 0 ? 0 : ck_conv_fft_fused_channels(pl, elem_size);
    if (qc > 0) { /* fused plain run: X, i X, Y, the workers' buffers, the tables */
        const size_t dper = DFT_ELEMS(qc * pl->p.in_channels);
        elems = blocks + (size_t)(2 * pl->nfreq * pl->p.in_channels * tb) + team * (worker > dper ? worker : dper) + tab;
    } else {
        elems = 2 * ck_conv_fft_spectrum_elems(pl); /* kernel spectrum, or the dW accumulator */
        size_t run = blocks + team * worker;
        if (dir != CK_CONV_BWD_WEIGHT && ck_conv_fft_own_mac(pl, tb))
            run += team * (size_t)(2 * ck_conv_in_per_group(&pl->p) * tb); /* i X per worker */
        const ck_index q = dir == CK_CONV_BWD_WEIGHT ? 0 : ck_conv_fft_dft_chunk(pl);
        const size_t spec = q > 0 ? team * DFT_ELEMS(q) + tab : team * worker;
        elems += run > spec ? run : spec;
    }
#undef DFT_ELEMS
    ck_conv_fft_plan_destroy(pl);
    return elems * elem_size;
}
