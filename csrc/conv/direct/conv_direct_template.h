/*
 * conv_direct_template.h -- the direct operator for one real type (contract and design: conv_direct.c).
 *
 * Included by conv_direct.c with REAL, KTAB, SELECT_KERNELS, the step names (PACK_ROW, PACK_BLOCK,
 * PACK_WEIGHTS, WORKER_BUFFERS, TASK_FN, RUN_TASKS, FWD_CTX, FWD_TASK, CONV_FWD_DIRECT_IMPL,
 * BWD_INPUT_UNIT_STRIDE, BWI_CTX, BWI_TASK, PACK_DY_BLOCK, BWD_WEIGHT_BLOCK) and the three entry-point names #defined; it #undefs them all at the end.
 * Index arithmetic is 64-bit (ck_index) throughout.
 */

/* dst[j] = src[j*s + off] if 0 <= j*s + off < n, else 0, for 0 <= j < J (off may be negative). */
static void PACK_ROW(REAL *dst, ck_index J, const REAL *src, ck_index n, ck_index s, ck_index off)
{
    ck_index jlo = off >= 0 ? 0 : (-off + s - 1) / s;
    ck_index jhi = (n - 1 - off) >= 0 ? (n - 1 - off) / s + 1 : 0;
    if (jlo > J)
        jlo = J;
    if (jhi > J)
        jhi = J;
    if (jhi < jlo)
        jhi = jlo;
    for (ck_index j = 0; j < jlo; ++j)
        dst[j] = 0;
    if (s == 1) {
        if (jhi > jlo)
            memcpy(dst + jlo, src + jlo + off, (size_t)(jhi - jlo) * sizeof(REAL));
    } else if (s == 2) { /* a constant stride, so the compiler vectorizes it (stride-2 stems) */
        const REAL *sp = src + 2 * jlo + off; /* the first element read: never before src */
        for (ck_index j = jlo; j < jhi; ++j)
            dst[j] = sp[2 * (j - jlo)];
    } else {
        for (ck_index j = jlo; j < jhi; ++j)
            dst[j] = src[j * s + off];
    }
    for (ck_index j = jhi; j < J; ++j)
        dst[j] = 0;
}

/* Pack channels [c0, c0 + Cg) of image n for the row block starting at output row oh0 (nrows packed
 * rows per slab; the layout of direct_rows.h) into buf, ics elements per channel. */
static void PACK_BLOCK(const ck_conv_params *p, const ck_direct_rows *g, const REAL *x, ck_index n, ck_index c0,
                       ck_index nrd, const ck_index *rd_src, ck_index oh0, ck_index nrows, ck_index ics, REAL *buf)
{
    const ck_index IH = p->in_size[1], IW = p->in_size[2], J = g->J;
    const ck_index sh = p->stride[1], pbh = p->pad_before[1];
    for (ck_index c = 0; c < ck_conv_in_per_group(p); ++c) {
        const REAL *xc = x + (n * p->in_channels + c0 + c) * ck_conv_in_plane(p);
        for (ck_index r = 0; r < nrd; ++r)
            for (ck_index ws = 0; ws < g->NS; ++ws)
                for (ck_index hs = 0; hs < g->NHS; ++hs)
                    for (ck_index i = 0; i < nrows; ++i) {
                        const ck_index ih = (oh0 + i) * sh + g->hslot_phase[hs] - pbh;
                        REAL *dst = buf + c * ics + (((r * g->NS + ws) * g->NHS + hs) * g->NR + i) * J;
                        if (ih >= 0 && ih < IH)
                            PACK_ROW(dst, J, xc + rd_src[r] + ih * IW, IW, p->stride[2],
                                     g->wslot_phase[ws] - p->pad_before[2]);
                        else
                            memset(dst, 0, (size_t)J * sizeof(REAL));
                    }
    }
}

/* Weights in microkernel tiles of TB channels: dst[g][tb][m][t][j] = w[g*Kg + k][c][t] with
 * (k, c) = (tb*TB + j, m) when by_output (forward: tiles of output channels, m < Cg), else
 * (m, tb*TB + j) (backward-input: tiles of input channels, m < Kg); zero past the group's channels. */
static void PACK_WEIGHTS(const ck_conv_params *p, const REAL *w, int by_output, ck_index TB, REAL *dst)
{
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index KV = ck_conv_kernel_volume(p);
    const ck_index T = by_output ? Kg : Cg, M = by_output ? Cg : Kg, nb = ck_direct_cdiv(T, TB);
    for (ck_index g = 0; g < G; ++g)
        for (ck_index tb = 0; tb < nb; ++tb)
            for (ck_index m = 0; m < M; ++m)
                for (ck_index t = 0; t < KV; ++t)
                    for (ck_index j = 0; j < TB; ++j) {
                        const ck_index q = tb * TB + j, k = by_output ? q : m, c = by_output ? m : q;
                        dst[(((g * nb + tb) * M + m) * KV + t) * TB + j] =
                            q < T ? w[((g * Kg + k) * Cg + c) * KV + t] : (REAL)0;
                    }
}

/* A worker's scratch: buf (zero-filled: columns past a row's end read neighbouring packed values,
 * which must stay finite), out and idx. Returns 1 if all three were allocated. */
static int WORKER_BUFFERS(size_t buf_elems, size_t out_elems, size_t idx_elems, REAL **buf, REAL **out,
                          ck_index **idx)
{
    *buf = (REAL *)ck_aligned_alloc(buf_elems * sizeof(REAL));
    *out = (REAL *)ck_aligned_alloc(out_elems * sizeof(REAL));
    *idx = (ck_index *)ck_aligned_alloc(idx_elems * sizeof(ck_index));
    if (!*buf || !*out || !*idx)
        return 0;
    memset(*buf, 0, buf_elems * sizeof(REAL));
    return 1;
}

/* Tasks [0, ntasks) over a team of p->num_threads, scheduled dynamically, each worker with its own
 * buffers (WORKER_BUFFERS); TASK(ctx, task, buf, out, idx) runs one. CK_ERR_NOMEM if a worker could not
 * have its buffers (the others still run to the end of the region). */
typedef void (*TASK_FN)(const void *ctx, ck_index task, REAL *buf, REAL *out, ck_index *idx);

static ck_status RUN_TASKS(const ck_conv_params *p, ck_index ntasks, size_t buf_elems, size_t out_elems,
                           size_t idx_elems, TASK_FN task_fn, const void *ctx)
{
    int err = 0;
    (void)p; /* read by the OpenMP clause only */
    CK_OMP(parallel num_threads(ck_team(p->num_threads, ntasks)))
    {
        REAL *buf, *out;
        ck_index *idx;
        const int ok = WORKER_BUFFERS(buf_elems, out_elems, idx_elems, &buf, &out, &idx);
        if (!ok)
            ck_direct_flag_error(&err);
        CK_OMP(for schedule(dynamic, 1))
        for (ck_index task = 0; task < ntasks; ++task) {
            if (!ok || ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                continue;
            task_fn(ctx, task, buf, out, idx);
        }
        ck_aligned_free(buf);
        ck_aligned_free(out);
        ck_aligned_free(idx);
    }
    return err ? CK_ERR_NOMEM : CK_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* forward: y = conv(x, w) + b                                                                       */
/* ------------------------------------------------------------------------------------------------ */
/* What a forward task reads: the problem, kernels, row-block geometry and packed weights. */
typedef struct FWD_CTX {
    const ck_conv_params *p;
    const KTAB *kt;
    const ck_direct_rows *rg;
    int use1;                    /* one-channel tiles */
    ck_index L, OCB, NVM, nkb;   /* lanes, channels per tile, vectors per tile, tiles per group */
    const REAL *wp, *x, *b;
    REAL *y;
} FWD_CTX;

/* One forward task: the RH output rows (n, od, oh0 ..) of every group and output channel. */
static void FWD_TASK(const void *ctx, ck_index task, REAL *buf, REAL *out, ck_index *idx)
{
    const FWD_CTX *c = (const FWD_CTX *)ctx;
    const ck_conv_params *p = c->p;
    const ck_direct_rows *rg = c->rg;
    const KTAB *kt = c->kt;
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index KD = p->kernel_size[0], KV = ck_conv_kernel_volume(p);
    const ck_index OD = p->out_size[0], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index L = c->L, OCB = c->OCB, NVM = c->NVM, nkb = c->nkb, RH = rg->RH, nhb = rg->nhb, J = rg->J;
    ck_index *xoff = idx, *woff = idx + KV, *rd_src = idx + 2 * KV, *rd_kd = idx + 2 * KV + KD;

    const ck_index n = task / (OD * nhb), od = (task / nhb) % OD, oh0 = (task % nhb) * RH;
    const ck_index RHa = ck_direct_min(RH, OH - oh0);
    const ck_index nrd = ck_direct_depth_taps(p, od, rd_src, rd_kd); /* the same for every row */
    const ck_index ntap = ck_direct_tap_list(p, rg, nrd, rd_kd, 0, 0, OCB, xoff, woff);
    const ck_index ics = nrd * rg->NS * rg->NHS * rg->slab;
    const ck_index ncol_tot = (RHa - 1) * J + OW; /* flattened output columns */
    /* Tiles along each row when a row's vectors split into whole tiles of NVM vectors and at most one
     * of NVM - 1: no tile then straddles a row end (whose store goes lane by lane or masked) and the
     * padding columns J - OW are not computed; 1.01-1.19x on 24-112 wide rows. Other widths keep tiles
     * over the flattened rows (split per row, 7 vectors as 2 + 3 + 2 ran 0.91-0.97x). Either way every
     * output sums the same terms in the same order. */
    const ck_index nvec_row = ck_direct_cdiv(OW, L);
    const int by_row = nvec_row % NVM == 0 || (nvec_row % NVM == NVM - 1 && nvec_row > NVM);
    const ck_index nseg = by_row ? RHa : 1;

    for (ck_index g = 0; g < G; ++g) {
        if (nrd > 0)
            PACK_BLOCK(p, rg, c->x, n, g * Cg, nrd, rd_src, oh0, RHa + rg->maxA, ics, buf);
        for (ck_index kb = 0; kb < nkb; ++kb) {
            const ck_index nk = ck_direct_min(OCB, Kg - kb * OCB);
            const REAL *wpk = c->wp + (g * nkb + kb) * Cg * KV * OCB;
            const ck_index k0 = g * Kg + kb * OCB;
            REAL *yk = c->y + ((n * p->out_channels + k0) * OD + od) * OH * OW + oh0 * OW;
            for (ck_index seg = 0; seg < nseg; ++seg) {
                const ck_index seg0 = seg * J, seg_end = by_row ? seg0 + OW : ncol_tot;
                for (ck_index col0 = seg0; col0 < seg_end;) {
                    const ck_index nv = ck_direct_pick_nv(ck_direct_cdiv(seg_end - col0, L), NVM);
                    const ck_index ncols = ck_direct_min(nv * L, seg_end - col0);
                    (c->use1 ? kt->fwd1 : kt->fwd)(Cg, ntap, buf + col0, ics, xoff, wpk, KV * OCB, woff, (int)nv, out);
                    kt->st(out, (int)nv, nk, c->b ? c->b + k0 : NULL, yk, OD * OH * OW, J, OW, col0, ncols);
                    col0 += ncols;
                }
            }
        }
    }
}

/* ---- forward with the channels in the lanes (kernels cl / clst of direct_kernels.h) ------------ */
/* Groups with few input channels (an RGB or grey stem) give the phase-packed tiles little to reuse:
 * 4 output channels x 24 columns per tile, 3 unaligned vector loads (at stride 2 half of them across
 * cache lines) and 4 broadcasts per step. With the output channels in the lanes a step is 2 aligned
 * weight vectors and 6 broadcast inputs at any stride, and each output row is transposed into the
 * planes once. The same terms in the same order: the same bits as the tiles.
 * In one process against the tiles (Zen 2, 2 threads, best of 15-21, calls shuffled, a duplicate of
 * the old path as control within 1-3%): float32 r50_conv1 1.13-1.22x (batch 1: 186 GFLOP/s), 3 -> 16-64
 * channels at 3x3 1.15-1.55x, 1 -> 32 at 28x28 1.5-2.0x, 4 -> 16 5x5 1.23x, 11x11 stride 4 1.22x,
 * 6-16 input channels 1.10-1.32x (24-64: 1.09-1.12x, not enabled: measured on one machine, and a
 * tile's weights then outgrow L1); float64 1.10-1.23x (grey 28x28 1.73x; 16 input channels 1.01x).
 * An odd count of channel vectors ends in a one-vector tile, which loses where it is a large share:
 * 8 output channels (1 vector) 0.81-0.83x, 24 (3) 0.99x, 40 (5) 1.03-1.05x in float32; hence nvec
 * even or >= 5.
 * 1-D and 2-D problems (a trivial depth axis); the padding may be negative (backward-input's cropping). */
#define CL_MAX_CG 16
static int CL_SUPPORTS(const KTAB *kt, const ck_conv_params *p)
{
    const ck_index nvec = ck_direct_cdiv(ck_conv_out_per_group(p), kt->lanes); /* vectors of channels */
    return kt->cl && p->kernel_size[0] == 1 && p->in_size[0] == 1 && p->out_size[0] == 1 && p->pad_before[0] == 0 &&
           ck_conv_in_per_group(p) <= CL_MAX_CG && (nvec % 2 == 0 || nvec >= 5);
}

typedef struct CL_CTX {
    const ck_conv_params *p;
    const KTAB *kt;
    ck_index RH, nrb, XR, XW, Kp, CW;
    const REAL *wp, *x, *b;
    REAL *y;
} CL_CTX;

/* One task: output rows oh0 .. oh0+RH-1 of image n, every group. buf = the group's padded input rows
 * [Cg][XR][XW] (column j = input column j - pad_before[2]); out = CW columns of an output row [CW][Kp]. */
static void CL_TASK(const void *ctx, ck_index task, REAL *buf, REAL *out, ck_index *idx)
{
    const CL_CTX *c = (const CL_CTX *)ctx;
    const ck_conv_params *p = c->p;
    (void)idx;
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2];
    const ck_index IH = p->in_size[1], IW = p->in_size[2], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index sh = p->stride[1], dh = p->dilation[1], XR = c->XR, XW = c->XW, Kp = c->Kp;
    const ck_index n = task / c->nrb, oh0 = (task % c->nrb) * c->RH, nr = ck_direct_min(c->RH, OH - oh0);
    for (ck_index g = 0; g < G; ++g) {
        for (ck_index ci = 0; ci < Cg; ++ci) {
            const REAL *xc = c->x + (n * p->in_channels + g * Cg + ci) * IH * IW;
            for (ck_index i = 0; i < (nr - 1) * sh + (KH - 1) * dh + 1; ++i) {
                const ck_index ih = oh0 * sh - p->pad_before[1] + i;
                REAL *dst = buf + (ci * XR + i) * XW;
                if (ih >= 0 && ih < IH)
                    PACK_ROW(dst, XW, xc + ih * IW, IW, 1, -p->pad_before[2]);
                else
                    memset(dst, 0, (size_t)XW * sizeof(REAL));
            }
        }
        const REAL *wg = c->wp + g * Cg * KH * KW * Kp;
        for (ck_index r = 0; r < nr; ++r) {
            REAL *yr = c->y + ((n * p->out_channels + g * Kg) * OH + oh0 + r) * OW;
            for (ck_index o0 = 0; o0 < OW; o0 += c->CW) {
                const ck_index nw = ck_direct_min(c->CW, OW - o0);
                c->kt->cl(Cg, KH, KW, buf + r * sh * XW + o0 * p->stride[2], XR * XW, dh * XW, p->stride[2],
                          p->dilation[2], wg, Kp, nw, out);
                c->kt->clst(out, Kp, Kg, nw, c->b ? c->b + g * Kg : NULL, yr + o0, OH * OW);
            }
        }
    }
}

static ck_status FWD_CL(const ck_conv_params *p, const KTAB *kt, const REAL *x, const REAL *w, const REAL *b, REAL *y)
{
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;
    const ck_index Kp = ck_direct_cdiv(Kg, kt->lanes) * kt->lanes;
    const ck_index XW = (OW - 1) * p->stride[2] + (KW - 1) * p->dilation[2] + 1;
    REAL *wp = (REAL *)ck_aligned_alloc((size_t)(G * Cg * KH * KW * Kp) * sizeof(REAL));
    if (!wp)
        return CK_ERR_NOMEM;
    PACK_WEIGHTS(p, w, 1, Kp, wp); /* one tile of Kp channels: wp[g][c][kh][kw][k], zero past Kg */
    /* Output rows per task: padded input rows <= 256 KiB, >= 4 tasks per thread. RH changes no sum. */
    ck_index RH = OH;
    while (RH > 1 && (size_t)(Cg * ((RH - 1) * p->stride[1] + (KH - 1) * p->dilation[1] + 1) * XW) * sizeof(REAL) >
                         ((size_t)256 << 10))
        RH = (RH + 1) / 2;
    while (RH > 1 && p->batch * ck_direct_cdiv(OH, RH) < 4 * nt)
        RH = (RH + 1) / 2;
    RH = ck_direct_cdiv(OH, ck_direct_cdiv(OH, RH)); /* same number of blocks, balanced */
    const ck_index nrb = ck_direct_cdiv(OH, RH), XR = (RH - 1) * p->stride[1] + (KH - 1) * p->dilation[1] + 1;
    /* Output columns per cl call: the [CW][Kp] buffer <= 256 KiB (a long 1-D row does not make it
     * O(OW * Kp)), in multiples of 24 (the kernel's 6- and 12-column tiles, the 4/8-lane transposes) */
    const ck_index fit = ((ck_index)(256 << 10) / (ck_index)sizeof(REAL) / Kp) / 24 * 24;
    const ck_index CW = ck_direct_min(OW, fit > 24 ? fit : 24);
    const CL_CTX c = {p, kt, RH, nrb, XR, XW, Kp, CW, wp, x, b, y};
    const ck_status st = RUN_TASKS(p, p->batch * nrb, (size_t)(Cg * XR * XW), (size_t)(CW * Kp), 1, CL_TASK, &c);
    ck_aligned_free(wp);
    return st;
}

/* The forward body; also called by backward-input with a derived struct whose padding may be
 * negative (cropping), which the public entry point's assert would reject. */
static ck_status CONV_FWD_DIRECT_IMPL(const ck_conv_params *p, const REAL *x, const REAL *w, const REAL *b,
                                      REAL *y)
{
    if (p->batch == 0)
        return CK_OK;
    if (ck_conv_depthwise_supports(p, CK_CONV_FWD)) /* also backward-input's unit-stride depthwise */
        return DEPTHWISE_FWD(p, x, w, b, y);
    const KTAB *kt = SELECT_KERNELS();
    if (CL_SUPPORTS(kt, p))
        return FWD_CL(p, kt, x, w, b, y);
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    /* one-channel tiles when a group has fewer than OCB/2 output channels (depthwise) */
    const int use1 = 2 * Kg <= kt->ocb;
    const ck_index L = kt->lanes, OCB = use1 ? 1 : kt->ocb, NVM = use1 ? kt->nv1_max : kt->nv_max;
    const ck_index KD = p->kernel_size[0], KV = ck_conv_kernel_volume(p);
    const ck_index nkb = ck_direct_cdiv(Kg, OCB);
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;

    ck_direct_rows rg;
    REAL *wp = (REAL *)ck_aligned_alloc((size_t)(G * nkb * Cg * KV * OCB) * sizeof(REAL));
    if (!ck_direct_rows_init(p, &rg) || !wp) {
        ck_aligned_free(rg.geo);
        ck_aligned_free(wp);
        return CK_ERR_NOMEM;
    }
    /* Output rows per task: about 768 flattened columns (4096 for one-channel tiles, whose tasks are
     * cheap), packed input <= 512 KiB, >= 4 tasks per thread. Fewer, taller blocks re-pack fewer halo
     * rows and waste less of the last tile of a block: 768 ran few-channel layers 5-33% faster than
     * 256 (r50_conv1 12-14%) and many-channel ones the same (the 512 KiB cap binds there). RH changes
     * no sum (every tap is applied to every output), only the speed. */
    ck_direct_rows_set_block(p, &rg, use1 ? 4096 : 768, (size_t)512 << 10, sizeof(REAL), 4 * nt);
    PACK_WEIGHTS(p, w, 1, OCB, wp); /* wp[g][kb][c][t][j] = w[g*Kg + kb*OCB + j][c][t] */

    const FWD_CTX c = {p, kt, &rg, use1, L, OCB, NVM, nkb, wp, x, b, y};
    const ck_status st = RUN_TASKS(p, p->batch * p->out_size[0] * rg.nhb, ck_direct_rows_block_elems(p, &rg, rg.RH) + (size_t)L,
                                   (size_t)(OCB * NVM * L), (size_t)(2 * KV + 2 * KD), FWD_TASK, &c);
    ck_aligned_free(rg.geo);
    ck_aligned_free(wp);
    return st;
}

ck_status CONV_FWD_DIRECT(const ck_conv_params *p, const REAL *x, const REAL *w, const REAL *b, REAL *y)
{
    assert(ck_direct_params_ok(p));
    return CONV_FWD_DIRECT_IMPL(p, x, w, b, y);
}

/* ------------------------------------------------------------------------------------------------ */
/* backward-input: dx = conv_transpose(dy, w), phase-decomposed along W                              */
/* ------------------------------------------------------------------------------------------------ */
/* Unit stride: dx = forward correlation of dy with the kernel flipped on every axis and the channels
 * swapped per group, padding d*(k-1) - pad_before (negative: cropping). */
static ck_status BWD_INPUT_UNIT_STRIDE(const ck_conv_params *p, const REAL *dy, const REAL *w, REAL *dx)
{
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index KV = ck_conv_kernel_volume(p);
    ck_conv_params q;
    ck_conv_bwd_input_as_forward(p, &q);
    /* wT[g*Cg + c][k][t] = w[g*Kg + k][c][KV-1-t] (flipping all axes reverses the tap index) */
    REAL *wT = (REAL *)ck_aligned_alloc((size_t)(G * Cg * Kg * KV) * sizeof(REAL));
    if (!wT)
        return CK_ERR_NOMEM;
    for (ck_index g = 0; g < G; ++g)
        for (ck_index c = 0; c < Cg; ++c)
            for (ck_index k = 0; k < Kg; ++k)
                for (ck_index t = 0; t < KV; ++t)
                    wT[(((g * Cg + c) * Kg) + k) * KV + t] = w[((g * Kg + k) * Cg + c) * KV + (KV - 1 - t)];
    const ck_status st = CONV_FWD_DIRECT_IMPL(&q, dy, wT, NULL, dx);
    ck_aligned_free(wT);
    return st;
}

/* What a strided backward-input task reads: the W phase tables, the packed weights, the tensors. */
typedef struct BWI_CTX {
    const ck_conv_params *p;
    const KTAB *kt;
    int use1;                            /* one-channel tiles (input channels here) */
    ck_index L, OCB, NVM, ncb, J, nph;   /* lanes, tile channels, tile vectors, tiles per group, row, phases */
    const ck_index *ph_n, *ph_kx, *ph_off;
    ck_index minoff;
    const REAL *wt, *dy;
    REAL *dx;
} BWI_CTX;

/* One strided backward-input task: dx row (n, id, ih) of every input channel, per W phase. */
static void BWI_TASK(const void *ctx, ck_index task, REAL *buf, REAL *out, ck_index *idx)
{
    const BWI_CTX *c = (const BWI_CTX *)ctx;
    const ck_conv_params *p = c->p;
    const KTAB *kt = c->kt;
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index C = p->in_channels, K = p->out_channels;
    const ck_index KW = p->kernel_size[2], KV = ck_conv_kernel_volume(p), KDH = p->kernel_size[0] * p->kernel_size[1];
    const ck_index ID = p->in_size[0], IH = p->in_size[1], IW = p->in_size[2];
    const ck_index OW = p->out_size[2], out_plane = ck_conv_out_plane(p), sw = p->stride[2];
    const ck_index L = c->L, OCB = c->OCB, NVM = c->NVM, ncb = c->ncb, J = c->J, minoff = c->minoff;
    ck_index *xoff = idx, *woff = idx + KV, *row_src = idx + 2 * KV, *row_w = idx + 2 * KV + KDH;

    const ck_index n = task / (ID * IH), id = (task / IH) % ID, ih = task % IH;
    const ck_index nrho = ck_direct_input_row_taps(p, id, ih, row_src, row_w);
    for (ck_index g = 0; g < G; ++g) {
        for (ck_index k = 0; k < Kg && nrho > 0; ++k) {
            const REAL *dyk = c->dy + (n * K + g * Kg + k) * out_plane;
            for (ck_index r = 0; r < nrho; ++r)
                PACK_ROW(buf + (k * nrho + r) * J, J, dyk + row_src[r], OW, 1, minoff);
        }
        for (ck_index a = 0; a < c->nph; ++a) {
            const ck_index Ma = ck_direct_cdiv(IW - a, sw);
            ck_index ntap = 0;
            for (ck_index r = 0; r < nrho; ++r)
                for (ck_index i = 0; i < c->ph_n[a]; ++i) {
                    xoff[ntap] = r * J + c->ph_off[a * KW + i] - minoff;
                    woff[ntap] = (row_w[r] + c->ph_kx[a * KW + i]) * OCB;
                    ++ntap;
                }
            for (ck_index cb = 0; cb < ncb; ++cb) {
                const ck_index nk = ck_direct_min(OCB, Cg - cb * OCB);
                const REAL *wtk = c->wt + (g * ncb + cb) * Kg * KV * OCB;
                for (ck_index m0 = 0; m0 < Ma;) {
                    const ck_index nv = ck_direct_pick_nv(ck_direct_cdiv(Ma - m0, L), NVM);
                    const ck_index ncols = ck_direct_min(nv * L, Ma - m0);
                    (c->use1 ? kt->fwd1 : kt->fwd)(Kg, ntap, buf + m0, nrho * J, xoff, wtk, KV * OCB, woff, (int)nv,
                                                   out);
                    for (ck_index j = 0; j < nk; ++j) {
                        const ck_index ch = g * Cg + cb * OCB + j;
                        REAL *dst = c->dx + (((n * C + ch) * ID + id) * IH + ih) * IW + a + m0 * sw;
                        const REAL *src = out + j * nv * L;
                        for (ck_index col = 0; col < ncols; ++col)
                            dst[col * sw] = src[col];
                    }
                    m0 += ncols;
                }
            }
        }
    }
}

ck_status CONV_BWD_INPUT_DIRECT(const ck_conv_params *p, const REAL *dy, const REAL *w, REAL *dx)
{
    assert(ck_direct_params_ok(p));
    if (p->batch == 0)
        return CK_OK;
    if (p->stride[0] == 1 && p->stride[1] == 1 && p->stride[2] == 1)
        return BWD_INPUT_UNIT_STRIDE(p, dy, w, dx);
    const KTAB *kt = SELECT_KERNELS();
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    /* here the input channels are the tile's channels: one-channel tiles when Cg < OCB/2 */
    const int use1 = 2 * Cg <= kt->ocb;
    const ck_index L = kt->lanes, OCB = use1 ? 1 : kt->ocb, NVM = use1 ? kt->nv1_max : kt->nv_max;
    const ck_index KW = p->kernel_size[2], KV = ck_conv_kernel_volume(p), KDH = p->kernel_size[0] * p->kernel_size[1];
    const ck_index IW = p->in_size[2], sw = p->stride[2];
    const ck_index ncb = ck_direct_cdiv(Cg, OCB);
    const ck_index nph = ck_direct_min(sw, IW); /* W phases of dx columns */

    ck_index *pgeo = (ck_index *)ck_aligned_alloc((size_t)(nph + 2 * nph * KW) * sizeof(ck_index));
    REAL *wt = (REAL *)ck_aligned_alloc((size_t)(G * ncb * Kg * KV * OCB) * sizeof(REAL));
    if (!pgeo || !wt) {
        ck_aligned_free(pgeo);
        ck_aligned_free(wt);
        return CK_ERR_NOMEM;
    }
    ck_index *ph_n = pgeo, *ph_kx = pgeo + nph, *ph_off = pgeo + nph + nph * KW;
    ck_index minoff, maxoff;
    ck_direct_w_phases(p, nph, ph_n, ph_kx, ph_off, &minoff, &maxoff);
    const ck_index J = ck_direct_cdiv(ck_direct_cdiv(IW, sw), L) * L + (maxoff - minoff);
    PACK_WEIGHTS(p, w, 0, OCB, wt); /* wt[g][cb][k][t][j] = w[g*Kg + k][cb*OCB + j][t] */

    const BWI_CTX c = {p, kt, use1, L, OCB, NVM, ncb, J, nph, ph_n, ph_kx, ph_off, minoff, wt, dy, dx};
    const ck_status st = RUN_TASKS(p, p->batch * p->in_size[0] * p->in_size[1], (size_t)(Kg * KDH * J),
                                   (size_t)(OCB * NVM * L), (size_t)(2 * KV + 2 * KDH), BWI_TASK, &c);
    ck_aligned_free(pgeo);
    ck_aligned_free(wt);
    return st;
}

/* ------------------------------------------------------------------------------------------------ */
/* backward-weight: dw[k][c][t] = sum_{n, o} dy[n][k][o] * x[n][c][o*s + t*d - pb]                   */
/* ------------------------------------------------------------------------------------------------ */
/* dy of channels [k0, k0 + nkpad) (those past nkk zero) for the row block (n, od, oh0, RHa rows),
 * flattened like the packed input: db[kk][r*J + ox], zeros between rows and after, ncolmax apart. */
static void PACK_DY_BLOCK(const ck_conv_params *p, const REAL *dy, ck_index J, ck_index n, ck_index od,
                          ck_index oh0, ck_index RHa, ck_index k0, ck_index nkk, ck_index nkpad, ck_index ncol,
                          ck_index ncolmax, REAL *db)
{
    const ck_index OH = p->out_size[1], OW = p->out_size[2];
    for (ck_index kk = 0; kk < nkpad; ++kk) {
        REAL *dst = db + kk * ncolmax;
        memset(dst, 0, (size_t)ncol * sizeof(REAL));
        if (kk < nkk) {
            const REAL *src = dy + (n * p->out_channels + k0 + kk) * ck_conv_out_plane(p) + (od * OH + oh0) * OW;
            for (ck_index r = 0; r < RHa; ++r)
                memcpy(dst + r * J, src + r * OW, (size_t)OW * sizeof(REAL));
        }
    }
}

/* One row block's contribution: tk[k][ct_w[i]] += dot(dy row k, packed x at ct_x[i]) over the block's
 * ncol flattened columns, for nkk output channels in BK tiles and the nct (channel, tap) pairs in BT tiles. */
static void BWD_WEIGHT_BLOCK(const KTAB *kt, int use1, ck_index BK, ck_index BT, ck_index Cg, ck_index KV,
                             const REAL *xb, const REAL *db, ck_index ncol, ck_index ncolmax, ck_index nkk,
                             ck_index nkpad, const ck_index *ct_x, const ck_index *ct_w, ck_index nct, REAL *tk)
{
    const REAL *xr[CK_DIRECT_MAX_BT];
    REAL res[CK_DIRECT_MAX_BK * CK_DIRECT_MAX_BT];
    for (ck_index kb = 0; kb < nkpad; kb += BK) {
        const REAL *dyb = db + kb * ncolmax;
        for (ck_index tb0 = 0; tb0 < nct; tb0 += BT) {
            const ck_index ntb = ck_direct_min(BT, nct - tb0);
            for (ck_index i = 0; i < ntb; ++i)
                xr[i] = xb + ct_x[tb0 + i];
            (use1 ? kt->bww1 : kt->bww)(1, ncol, dyb, ncolmax, 0, xr, (int)ntb, 0, res);
            for (ck_index q = 0; q < BK && kb + q < nkk; ++q) {
                REAL *tq = tk + (kb + q) * Cg * KV;
                for (ck_index i = 0; i < ntb; ++i)
                    tq[ct_w[tb0 + i]] += res[q * BT + i];
            }
        }
    }
}

ck_status CONV_BWD_WEIGHT_DIRECT(const ck_conv_params *p, const REAL *dy, const REAL *x, REAL *dw)
{
    assert(ck_direct_params_ok(p));
    if (ck_conv_depthwise_supports(p, CK_CONV_BWD_WEIGHT))
        return DEPTHWISE_BWD_WEIGHT(p, dy, x, dw);
    if (p->batch == 0)
        return CK_OK; /* contract: batch 0 returns at once (Python fills dw for an empty batch) */
    const KTAB *kt = SELECT_KERNELS();
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    /* one-channel tiles when a group has fewer than BK/2 output channels (depthwise) */
    const int use1 = 2 * Kg <= kt->bk;
    const ck_index L = kt->lanes, BK = use1 ? 1 : kt->bk, BT = use1 ? kt->bt1 : kt->bt;
    const ck_index KD = p->kernel_size[0], KV = ck_conv_kernel_volume(p);
    const ck_index OD = p->out_size[0], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;

    ck_direct_rows rg;
    if (!ck_direct_rows_init(p, &rg))
        return CK_ERR_NOMEM;
    /* Output rows per block (the same packed geometry as forward): about 512 flattened columns
     * (2048 with one-channel tiles), packed input <= 256 KiB. It depends on the problem only: each
     * block's dot products are one float sum, so RH must not change with the thread count. */
    ck_direct_rows_set_block(p, &rg, use1 ? 2048 : 512, (size_t)256 << 10, sizeof(REAL), 0);
    const ck_index RH = rg.RH, nhb = rg.nhb, J = rg.J;
    const ck_index NB = p->batch * OD * nhb;                       /* row blocks */
    const ck_index ncolmax = ck_direct_cdiv((RH - 1) * J + OW, L) * L; /* dot length of a full block */
    const ck_direct_bww_split sp = ck_direct_bww_plan(G, Kg, BK, NB, nt);
    const ck_index KC = sp.KC, nkc = sp.nkc, nrc = sp.nrc, bcs = sp.bcs;

    const ck_index dwsz = p->out_channels * Cg * KV;
    REAL *partial = NULL;
    if (nrc > 1) {
        partial = (REAL *)ck_aligned_alloc((size_t)(nrc * dwsz) * sizeof(REAL));
        if (!partial) {
            ck_aligned_free(rg.geo);
            return CK_ERR_NOMEM;
        }
    }
    const ck_index nitems = nrc * G * nkc;
    const size_t xbuf_elems = ck_direct_rows_block_elems(p, &rg, RH) + (size_t)L;
    const size_t dbuf_elems = (size_t)(KC * ncolmax);
    const size_t idx_elems = (size_t)(2 * Cg * KV + 2 * KD);
    int err = 0;

    CK_OMP(parallel num_threads(ck_team(p->num_threads, nitems)))
    {
        REAL *xb, *db;
        ck_index *idx;
        const int ok = WORKER_BUFFERS(xbuf_elems, dbuf_elems, idx_elems, &xb, &db, &idx);
        if (!ok)
            ck_direct_flag_error(&err);
        ck_index *ct_x = idx, *ct_w = idx + Cg * KV, *rd_src = idx + 2 * Cg * KV, *rd_kd = rd_src + KD;

        CK_OMP(for schedule(dynamic, 1))
        for (ck_index item = 0; item < nitems; ++item) {
            if (!ok || ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                continue;
            const ck_index rc = item / (G * nkc), g = (item / nkc) % G, kc = item % nkc;
            const ck_index k0 = kc * KC, nkk = ck_direct_min(KC, Kg - k0);
            const ck_index nkpad = ck_direct_cdiv(nkk, BK) * BK;
            REAL *target = nrc > 1 ? partial + rc * dwsz : dw;
            REAL *tk = target + (g * Kg + k0) * Cg * KV; /* this item's slice: [nkk][Cg][KV] */
            for (ck_index e = 0; e < nkk * Cg * KV; ++e)
                tk[e] = 0;
            const ck_index b_end = ck_direct_min(NB, (rc + 1) * bcs);
            for (ck_index blk = rc * bcs; blk < b_end; ++blk) {
                const ck_index n = blk / (OD * nhb), od = (blk / nhb) % OD, oh0 = (blk % nhb) * RH;
                const ck_index RHa = ck_direct_min(RH, OH - oh0);
                const ck_index ncol = ck_direct_cdiv((RHa - 1) * J + OW, L) * L;
                const ck_index nrd = ck_direct_depth_taps(p, od, rd_src, rd_kd);
                if (nrd == 0)
                    continue; /* every tap of this block reads padding */
                const ck_index ics = nrd * rg.NS * rg.NHS * rg.slab;
                PACK_BLOCK(p, &rg, x, n, g * Cg, nrd, rd_src, oh0, RHa + rg.maxA, ics, xb);
                PACK_DY_BLOCK(p, dy, J, n, od, oh0, RHa, g * Kg + k0, nkk, nkpad, ncol, ncolmax, db);
                /* (c, tap) list over the valid kd taps */
                ck_index nct = 0;
                for (ck_index c = 0; c < Cg; ++c)
                    nct += ck_direct_tap_list(p, &rg, nrd, rd_kd, c * ics, c * KV, 1, ct_x + nct, ct_w + nct);
                BWD_WEIGHT_BLOCK(kt, use1, BK, BT, Cg, KV, xb, db, ncol, ncolmax, nkk, nkpad, ct_x, ct_w, nct, tk);
            }
        }
        ck_aligned_free(xb);
        ck_aligned_free(db);
        ck_aligned_free(idx);

        if (nrc > 1) {
            /* ordered sum of the block-chunk partials (implicit barrier after the loop above) */
            int failed;
            CK_OMP(atomic read)
            failed = err;
            CK_OMP(for schedule(static))
            for (ck_index e = 0; e < dwsz; ++e) {
                if (failed)
                    continue;
                REAL s = partial[e];
                for (ck_index q = 1; q < nrc; ++q)
                    s += partial[q * dwsz + e];
                dw[e] = s;
            }
        }
    }
    ck_aligned_free(partial);
    ck_aligned_free(rg.geo);
    return err ? CK_ERR_NOMEM : CK_OK;
}

#undef REAL
#undef KTAB
#undef CL_CTX
#undef CL_TASK
#undef CL_SUPPORTS
#undef FWD_CL
#undef CL_MAX_CG
#undef SELECT_KERNELS
#undef PACK_ROW
#undef PACK_BLOCK
#undef PACK_WEIGHTS
#undef WORKER_BUFFERS
#undef TASK_FN
#undef RUN_TASKS
#undef FWD_CTX
#undef FWD_TASK
#undef BWI_CTX
#undef BWI_TASK
#undef CONV_FWD_DIRECT
#undef CONV_FWD_DIRECT_IMPL
#undef BWD_INPUT_UNIT_STRIDE
#undef CONV_BWD_INPUT_DIRECT
#undef PACK_DY_BLOCK
#undef BWD_WEIGHT_BLOCK
#undef CONV_BWD_WEIGHT_DIRECT
#undef DEPTHWISE_FWD
#undef DEPTHWISE_BWD_WEIGHT
