/*
 * conv_im2col_template.h -- one dtype of conv_im2col.c (contract there). Included with REAL, GEMM and
 * the full names of the kernels, work items and operators #defined, so every name stays visible to grep; it
 * #undefs them at the end.
 */

/* col[r][j] = x_g[c][i(o)] for r = (c, t0, t1, t2), o = p0 + j, 0 <= j < tl; zero outside the input.
 * xg points at x[n][g*Cg]; col is [Cg*kvol][tl]. */
/* Rows [r0, r0 + nr) of the column matrix of one image and group: col is [nr][tl].
 * Per row r the valid span of the last axis is the same for every output row, so it is computed once
 * per r (no divisions in the run loop), and the runs (often short: one output row of a small image)
 * are copied/zeroed inline instead of through memcpy/memset calls. */
/* v[r][q] = 0 for r < nrows and the columns q outside [flo, fhi) of rows of length n2 (the border entries
 * that a flat span wraps in from the neighbouring input rows). */
static inline void ZERO_BORDERS(REAL *v, ck_index nrows, ck_index n2, ck_index flo, ck_index fhi)
{
    for (ck_index rr = 0; rr < nrows; ++rr) {
        REAL *vr = v + rr * n2;
        for (ck_index q = 0; q < flo; ++q)
            vr[q] = (REAL)0;
        for (ck_index q = fhi; q < n2; ++q)
            vr[q] = (REAL)0;
    }
}

static void IM2COL_GATHER_ROWS(const ck_conv_params *p, const REAL *xg, ck_index r0, ck_index nr, ck_index p0,
                               ck_index tl, REAL *col)
{
    const ck_index *I = p->in_size, *KS = p->kernel_size, *O = p->out_size, *s = p->stride;
    const ck_index in_plane = I[0] * I[1] * I[2];
    const ck_index so2 = p0 % O[2], so1 = (p0 / O[2]) % O[1], so0 = p0 / (O[2] * O[1]);
    /* Each row's tap costs several divisions; with many channels and short rows (a 10x10 output at
     * batch 1) they took most of the gather, so the taps are computed once per call when they fit. */
    const ck_index kvol = KS[0] * KS[1] * KS[2];
    im2col_tap taps[IM2COL_TAP_CACHE];
    const int cached = kvol <= IM2COL_TAP_CACHE;
    if (cached)
        for (ck_index t = 0; t < kvol; ++t)
            taps[t] = tap_at(p, t);
    ck_index t = r0 % kvol, c = r0 / kvol;
    for (ck_index r = r0; r < r0 + nr; ++r) {
        const REAL *xc = xg + c * in_plane;
        REAL *row = col + (r - r0) * tl;
        const im2col_tap tp = cached ? taps[t] : tap_at(p, t);
        if (++t == kvol) {
            t = 0;
            ++c;
        }
        const ck_index base2 = tp.base2, st = s[2], flo = tp.flo, fhi = tp.fhi, off0 = tp.off0, off1 = tp.off1;
        ck_index o2 = so2, o1 = so1, o0 = so0;
        /* Rows stride 1 along the last two axes with O[2] == I[2] ("same" padding): consecutive full
         * output rows with valid i0, i1 read consecutive input rows, so their span is ONE copy of the
         * input plane shifted by base2 (the wrapped-in border elements are then zeroed). */
        const int flat = s[2] == 1 && s[1] == 1 && O[2] == I[2];
        for (ck_index j = 0; j < tl;) {
            const ck_index i0 = o0 * s[0] + off0;
            if (flat && o2 == 0 && tl - j >= 2 * O[2]) {
                ck_index va, vb; /* valid output rows of [o1, o1 + nrows) */
                const ck_index nrows = flat_rows(p, o1, tl - j, off1, &va, &vb);
                REAL *dst = row + j;
                if (i0 < 0 || i0 >= I[0] || fhi <= flo) { /* no valid input: zeros */
                    for (ck_index q = 0; q < nrows * O[2]; ++q)
                        dst[q] = (REAL)0;
                } else {
                    for (ck_index q = 0; q < (va - o1) * O[2]; ++q)
                        dst[q] = (REAL)0;
                    for (ck_index q = (vb - o1) * O[2]; q < nrows * O[2]; ++q)
                        dst[q] = (REAL)0;
                    if (vb > va) {
                        REAL *dv = dst + (va - o1) * O[2];
                        const REAL *sv = xc + (i0 * I[1] + va + off1) * I[2] + base2;
                        const ck_index end = (vb - va - 1) * O[2] + fhi; /* > flo */
                        memcpy(dv + flo, sv + flo, (size_t)(end - flo) * sizeof(REAL));
                        ZERO_BORDERS(dv, vb - va, O[2], flo, fhi);
                    }
                }
                j += nrows * O[2];
                next_rows(O, nrows, &o0, &o1);
                continue;
            }
            const ck_index run = O[2] - o2 < tl - j ? O[2] - o2 : tl - j;
            const ck_index i1 = o1 * s[1] + off1;
            REAL *dst = row + j - o2; /* dst[q] for output column q of this row */
            const ck_index e = o2 + run;
            if (i0 < 0 || i0 >= I[0] || i1 < 0 || i1 >= I[1]) {
                for (ck_index q = o2; q < e; ++q)
                    dst[q] = (REAL)0;
            } else {
                const REAL *src = xc + (i0 * I[1] + i1) * I[2] + base2;
                const ck_index lo = flo < o2 ? o2 : flo > e ? e : flo;
                const ck_index hi = fhi < lo ? lo : fhi > e ? e : fhi;
                for (ck_index q = o2; q < lo; ++q)
                    dst[q] = (REAL)0;
                if (st == 1) {
                    REAL *dd = dst + lo;
                    const REAL *ss = src + lo;
                    ck_index m = hi - lo;
                    for (; m >= 8; m -= 8, dd += 8, ss += 8)
                        memcpy(dd, ss, 8 * sizeof(REAL)); /* fixed size: inlined vector moves */
                    if (m >= 4) {
                        memcpy(dd, ss, 4 * sizeof(REAL));
                        m -= 4, dd += 4, ss += 4;
                    }
                    if (m >= 2) {
                        memcpy(dd, ss, 2 * sizeof(REAL));
                        m -= 2, dd += 2, ss += 2;
                    }
                    if (m)
                        *dd = *ss;
                } else {
                    for (ck_index q = lo; q < hi; ++q)
                        dst[q] = src[q * st];
                }
                for (ck_index q = hi; q < e; ++q)
                    dst[q] = (REAL)0;
            }
            j += run;
            o2 = 0;
            next_rows(O, 1, &o0, &o1);
        }
    }
}

/* The adjoint of IM2COL_GATHER_ROWS over all Cg * kvol rows: dxg[c][i(o)] += col[r][j] for every in-range
 * input index. Each dx element receives at most one addition per row r, in the order of r. In the "flat"
 * case of the gather (stride 1 on the last two axes, O[2] == I[2]) consecutive full output rows are added
 * as ONE span of the shifted input plane, after zeroing the border entries of col (scratch) that wrap into
 * the neighbouring input rows: adding +0 leaves those dx elements unchanged, so the result is the same. */
static void COL2IM_SCATTER(const ck_conv_params *p, REAL *col, ck_index Cg, ck_index p0, ck_index tl,
                           REAL *dxg)
{
    const ck_index *I = p->in_size, *KS = p->kernel_size, *O = p->out_size, *s = p->stride;
    const ck_index in_plane = I[0] * I[1] * I[2];
    const ck_index so2 = p0 % O[2], so1 = (p0 / O[2]) % O[1], so0 = p0 / (O[2] * O[1]);
    const int flat = s[2] == 1 && s[1] == 1 && O[2] == I[2];
    ck_index r = 0;
    for (ck_index c = 0; c < Cg; ++c) {
        REAL *dxc = dxg + c * in_plane;
        for (ck_index t0 = 0; t0 < KS[0]; ++t0)
        for (ck_index t1 = 0; t1 < KS[1]; ++t1)
        for (ck_index t2 = 0; t2 < KS[2]; ++t2, ++r) {
            REAL *row = col + r * tl;
            const im2col_tap tp = tap_of(p, t0, t1, t2);
            const ck_index base2 = tp.base2, st = s[2], flo = tp.flo, fhi = tp.fhi, off0 = tp.off0, off1 = tp.off1;
            ck_index o2 = so2, o1 = so1, o0 = so0;
            for (ck_index j = 0; j < tl;) {
                const ck_index i0 = o0 * s[0] + off0;
                if (flat && o2 == 0 && tl - j >= 2 * O[2]) {
                    ck_index va, vb; /* valid output rows of [o1, o1 + nrows) */
                    const ck_index nrows = flat_rows(p, o1, tl - j, off1, &va, &vb);
                    if (i0 >= 0 && i0 < I[0] && fhi > flo) {
                        if (vb > va) {
                            REAL *sv = row + j + (va - o1) * O[2];
                            REAL *dv = dxc + (i0 * I[1] + va + off1) * I[2] + base2;
                            ZERO_BORDERS(sv, vb - va, O[2], flo, fhi);
                            const ck_index end = (vb - va - 1) * O[2] + fhi; /* > flo */
                            for (ck_index q = flo; q < end; ++q)
                                dv[q] += sv[q];
                        }
                    }
                    j += nrows * O[2];
                    next_rows(O, nrows, &o0, &o1);
                    continue;
                }
                const ck_index run = O[2] - o2 < tl - j ? O[2] - o2 : tl - j;
                const ck_index i1 = o1 * s[1] + off1;
                if (i0 >= 0 && i0 < I[0] && i1 >= 0 && i1 < I[1]) {
                    const REAL *srcrow = row + j - o2;
                    REAL *dst = dxc + (i0 * I[1] + i1) * I[2] + base2;
                    const ck_index e = o2 + run;
                    const ck_index lo = flo < o2 ? o2 : flo > e ? e : flo;
                    const ck_index hi = fhi < lo ? lo : fhi > e ? e : fhi;
                    if (st == 1) {
                        for (ck_index q = lo; q < hi; ++q)
                            dst[q] += srcrow[q];
                    } else {
                        for (ck_index q = lo; q < hi; ++q)
                            dst[q * st] += srcrow[q];
                    }
                }
                j += run;
                o2 = 0;
                next_rows(O, 1, &o0, &o1);
            }
        }
    }
}

/* dst[e] = ((dst[e] + copy_1[e]) + copy_2[e]) + ... (+ bias[row % nbias]) for the rows x row_len
 * elements of dst, the copies following one another in parts: one fixed order whatever the threads.
 * The forward's K blocks (y copies, with the bias) and the weight gradient's chunks (dw copies). */
static void ADD_COPIES(REAL *dst, const REAL *parts, ck_index copies, ck_index rows, ck_index row_len,
                       const REAL *bias, ck_index nbias, int team)
{
    const ck_index size = rows * row_len;
    (void)team; /* read by the OpenMP clause only */
    CK_OMP(parallel for schedule(static) num_threads(team))
    for (ck_index row = 0; row < rows; ++row) {
        const REAL b = bias != NULL ? bias[row % nbias] : (REAL)0;
        for (ck_index e = row * row_len; e < (row + 1) * row_len; ++e) {
            REAL acc = dst[e];
            for (ck_index c = 0; c < copies; ++c)
                acc += parts[c * size + e];
            dst[e] = bias != NULL ? acc + b : acc;
        }
    }
}

/* Forward work item it = (image, group, tile, block of output channels):
 * y[n][g*Kg + k0..k0+nk)[p0..p0+tl) = w_g[k0..k0+nk) @ col (+ b); a block gathers its own columns. */
static void FWD_ITEM(const im2col_job *job, ck_index it, void *colv)
{
    const ck_conv_params *p = job->p;
    const im2col_plan *pl = job->pl;
    const REAL *x = job->in0, *w = job->in1, *b = job->b;
    REAL *y = job->out, *col = colv;
    const ck_index G = p->groups, Cg = pl->Cg, Kg = pl->Kg, K = pl->K, P = pl->P;
    const ck_index kb = it % pl->kblocks, mb = (it / pl->kblocks) % pl->mblocks;
    const ck_index rest = it / pl->kblocks / pl->mblocks;
    const ck_index tix = rest % pl->ntiles, ng = rest / pl->ntiles, g = ng % G, n = ng / G;
    const ck_index p0 = tix * pl->tile, tl = P - p0 < pl->tile ? P - p0 : pl->tile;
    const ck_index per = (Kg + pl->mblocks - 1) / pl->mblocks, k0 = mb * per;
    const ck_index nk = Kg - k0 < per ? Kg - k0 : per;
    if (nk <= 0)
        return;
    const REAL *xg = x + (n * p->in_channels + g * Cg) * pl->in_plane;
    const REAL *wk = w + (g * Kg + k0) * K;
    const ck_index yoff = (n * p->out_channels + g * Kg + k0) * P + p0;
    /* K block kb: rows [r0, r0 + nr) of the column matrix into y (kb = 0) or its partial copy */
    const ck_index r0 = kb * pl->rows, nr = K - r0 < pl->rows ? K - r0 : pl->rows;
    REAL *yt = (kb == 0 ? y : (REAL *)job->parts + (kb - 1) * job->part_size) + yoff;
    if (nr <= 0) { /* not planned (every K block has rows); a partial copy must never be left unset */
        for (ck_index kk = 0; kk < nk; ++kk)
            memset(yt + kk * P, 0, (size_t)tl * sizeof(REAL));
        return;
    }
    if (pl->pointwise) {
        GEMM(0, 0, nk, tl, nr, (REAL)1, wk + r0, K, xg + r0 * P + p0, P, (REAL)0, yt, P);
    } else {
        IM2COL_GATHER_ROWS(p, xg, r0, nr, p0, tl, col);
        GEMM(0, 0, nk, tl, nr, (REAL)1, wk + r0, K, col, tl, (REAL)0, yt, P);
    }
    if (b != NULL && pl->kblocks == 1) { /* with K blocks, after their sum (CONV_FWD_IM2COL) */
        for (ck_index kk = 0; kk < nk; ++kk) {
            const REAL bk = b[g * Kg + k0 + kk];
            REAL *yr = yt + kk * P;
            for (ck_index j = 0; j < tl; ++j)
                yr[j] += bk;
        }
    }
}

ck_status CONV_FWD_IM2COL(const ck_conv_params *p, const REAL *x, const REAL *w, const REAL *b, REAL *y)
{
    im2col_plan pl;
    ck_status st;
    if (!ck_im2col_begin(p, CK_CONV_FWD, sizeof(REAL), &pl, &st))
        return st;
    REAL *parts = NULL;
    const ck_index y_size = p->batch * p->out_channels * pl.P;
    if (pl.kblocks > 1) {
        parts = (REAL *)ck_aligned_alloc(pl.extra_bytes);
        if (parts == NULL) {
            ck_gemm_pin_end();
            return CK_ERR_NOMEM;
        }
    }
    const im2col_job job = {p, &pl, x, w, b, y, parts, y_size};
    st = im2col_run_items(&job, p->batch * p->groups * pl.ntiles * pl.mblocks * pl.kblocks, FWD_ITEM);
    /* K blocks: y = ((y_0 + y_1) + y_2) + ... (+ b) element by element, whatever the thread count */
    if (pl.kblocks > 1 && st == CK_OK)
        ADD_COPIES(y, parts, pl.kblocks - 1, p->batch * p->out_channels, pl.P, b, p->out_channels, pl.team);
    ck_aligned_free(parts);
    return st;
}

/* Backward-input work item it = (image, group, block of input channels): its tiles overlap in dx, so
 * they stay on one worker, while the channel blocks are disjoint rows of the column matrix and of dx;
 * pointwise, it = (image, group, tile) as in the forward: the tiles are disjoint columns of dx. */
static void BWD_INPUT_ITEM(const im2col_job *job, ck_index it, void *colv)
{
    const ck_conv_params *p = job->p;
    const im2col_plan *pl = job->pl;
    const REAL *dy = job->in0, *w = job->in1;
    REAL *dx = job->out, *col = colv;
    const ck_index G = p->groups, Cg = pl->Cg, Kg = pl->Kg, K = pl->K, P = pl->P;
    const ck_index split = pl->pointwise ? pl->ntiles : pl->cblocks, part = it % split, ng = it / split;
    const ck_index g = ng % G, n = ng / G;
    const REAL *dyg = dy + (n * p->out_channels + g * Kg) * P;
    const REAL *wg = w + g * Kg * K;
    REAL *dxg = dx + (n * p->in_channels + g * Cg) * pl->in_plane;
    if (pl->pointwise) {
        const ck_index p0 = part * pl->tile, tl = P - p0 < pl->tile ? P - p0 : pl->tile;
        GEMM(1, 0, Cg, tl, Kg, (REAL)1, wg, K, dyg + p0, P, (REAL)0, dxg + p0, P);
        return;
    }
    const ck_index per = (Cg + pl->cblocks - 1) / pl->cblocks, c0 = part * per;
    const ck_index nc = Cg - c0 < per ? Cg - c0 : per;
    if (nc <= 0)
        return;
    REAL *dxb = dxg + c0 * pl->in_plane;
    memset(dxb, 0, (size_t)(nc * pl->in_plane) * sizeof(REAL));
    for (ck_index tix = 0; tix < pl->ntiles; ++tix) {
        const ck_index p0 = tix * pl->tile, tl = P - p0 < pl->tile ? P - p0 : pl->tile;
        GEMM(1, 0, nc * pl->kvol, tl, Kg, (REAL)1, wg + c0 * pl->kvol, K, dyg + p0, P, (REAL)0, col, tl);
        COL2IM_SCATTER(p, col, nc, p0, tl, dxb);
    }
}

ck_status CONV_BWD_INPUT_IM2COL(const ck_conv_params *p, const REAL *dy, const REAL *w, REAL *dx)
{
    im2col_plan pl;
    ck_status st;
    if (!ck_im2col_begin(p, CK_CONV_BWD_INPUT, sizeof(REAL), &pl, &st))
        return st;
    const im2col_job job = {p, &pl, dy, w, NULL, dx, NULL, 0};
    return im2col_run_items(&job, p->batch * p->groups * (pl.pointwise ? pl.ntiles : pl.cblocks), BWD_INPUT_ITEM);
}

/* Backward-weight work item it = (chunk of images, group, block of column-matrix rows): it owns
 * dw_c[g][:, r0:r1] (dw_0 = dw, dw_1.. = the partial copies) and sums over its images and tiles in a fixed
 * order. */
static void BWD_WEIGHT_ITEM(const im2col_job *job, ck_index it, void *colv)
{
    const ck_conv_params *p = job->p;
    const im2col_plan *pl = job->pl;
    const REAL *dy = job->in0, *x = job->in1;
    REAL *dw = job->out, *parts = job->parts, *col = colv;
    const ck_index G = p->groups, Cg = pl->Cg, Kg = pl->Kg, K = pl->K, P = pl->P;
    const ck_index chunks = pl->chunks, per_chunk = pl->row_blocks * G;
    const ck_index ch = it / per_chunk, rb = it % pl->row_blocks, g = (it % per_chunk) / pl->row_blocks;
    const ck_index r0 = rb * pl->rows, nr = K - r0 < pl->rows ? K - r0 : pl->rows;
    const ck_index n0 = ch * p->batch / chunks, n1 = (ch + 1) * p->batch / chunks;
    REAL *dwg = (ch == 0 ? dw : parts + (ch - 1) * job->part_size) + g * Kg * K + r0;
    for (ck_index n = n0; n < n1; ++n) {
        const REAL *xg = x + (n * p->in_channels + g * Cg) * pl->in_plane;
        for (ck_index tix = 0; tix < pl->ntiles; ++tix) {
            const ck_index p0 = tix * pl->tile, tl = P - p0 < pl->tile ? P - p0 : pl->tile;
            const REAL *dyt = dy + (n * p->out_channels + g * Kg) * P + p0;
            /* the first GEMM of the item overwrites its block (no memset of dw and the copies before) */
            const REAL beta = n == n0 && tix == 0 ? (REAL)0 : (REAL)1;
            if (pl->pointwise) { /* the column rows are x[n][g*Cg + r0..] itself */
                GEMM(0, 1, Kg, nr, tl, (REAL)1, dyt, P, xg + r0 * P + p0, P, beta, dwg, K);
            } else {
                IM2COL_GATHER_ROWS(p, xg, r0, nr, p0, tl, col);
                GEMM(0, 1, Kg, nr, tl, (REAL)1, dyt, P, col, tl, beta, dwg, K);
            }
        }
    }
}

ck_status CONV_BWD_WEIGHT_IM2COL(const ck_conv_params *p, const REAL *dy, const REAL *x, REAL *dw)
{
    im2col_plan pl;
    ck_im2col_make_plan(p, CK_CONV_BWD_WEIGHT, sizeof(REAL), &pl);
    if (!ck_gemm_fits(pl.Kg, pl.tile, pl.P, pl.pointwise ? pl.P : pl.tile, pl.K))
        return CK_ERR_UNSUPPORTED;
    const ck_index dw_size = p->out_channels * pl.K;
    if (p->batch <= 0 || pl.P <= 0) {
        memset(dw, 0, (size_t)dw_size * sizeof(REAL));
        return CK_OK;
    }
    /* Work items (BWD_WEIGHT_ITEM): no two write the same element and no sum depends on the thread
     * count; then dw = ((dw_0 + dw_1) + dw_2) + ... element by element. The BLAS runs on one thread. */
    const ck_index chunks = pl.chunks;
    REAL *parts = NULL;
    if (chunks > 1) {
        parts = (REAL *)ck_aligned_alloc(pl.extra_bytes);
        if (parts == NULL)
            return CK_ERR_NOMEM;
    }
    ck_gemm_pin_begin(1);
    const im2col_job job = {p, &pl, dy, x, NULL, dw, parts, dw_size};
    const ck_status st = im2col_run_items(&job, pl.row_blocks * p->groups * chunks, BWD_WEIGHT_ITEM);
    if (chunks > 1 && st == CK_OK)
        ADD_COPIES(dw, parts, chunks - 1, p->out_channels, pl.K, NULL, 1, pl.team);
    ck_aligned_free(parts);
    return st;
}

#undef REAL
#undef IM2COL_GATHER_ROWS
#undef COL2IM_SCATTER
#undef ZERO_BORDERS
#undef ADD_COPIES
#undef FWD_ITEM
#undef BWD_INPUT_ITEM
#undef BWD_WEIGHT_ITEM
#undef GEMM
#undef CONV_FWD_IM2COL
#undef CONV_BWD_INPUT_IM2COL
#undef CONV_BWD_WEIGHT_IM2COL
