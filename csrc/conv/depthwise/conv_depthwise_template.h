/*
 * conv_depthwise_template.h -- the depthwise operator for one real type (contract and design:
 * conv_depthwise.c, which includes this with REAL, KTAB, KLIST, SELECT_KERNELS, PACK_ROW, PACK_PLANE,
 * BWW_PACK_X, FWD3U_SETUP, BWW_ADD, BWW_STORE, BIAS_ADD_PLANE and the entry point names #defined; they are #undef'd at the end).
 */

static const KTAB *SELECT_KERNELS(void)
{
#define DW_ENTRY(isa, lanes, fwd, bww, pack, fwd3u) {isa, lanes, fwd, bww, pack, fwd3u},
    static const KTAB table[] = {KLIST(DW_ENTRY)};
#undef DW_ENTRY
    const ck_isa isa = ck_cpu_isa();
    const size_t n = sizeof table / sizeof table[0];
    for (size_t i = 0; i < n; ++i)
        if (table[i].isa <= isa)
            return &table[i];
    return &table[n - 1];
}

/* dst[j] = src[j*s + off] if 0 <= j*s + off < n, else 0, for 0 <= j < J (off may be negative); the
 * strided packing (unit stride uses the kernel table's vector pack_rows). */
static inline void PACK_ROW(REAL *restrict dst, ck_index J, const REAL *restrict src, ck_index n, ck_index s,
                            ck_index off)
{
    ck_index jlo = off >= 0 ? 0 : (-off + s - 1) / s;
    ck_index jhi = (n - 1 - off) >= 0 ? (n - 1 - off) / s + 1 : 0;
    jlo = ck_depthwise_min(jlo, J);
    jhi = ck_depthwise_min(jhi, J);
    if (jhi < jlo)
        jhi = jlo;
    for (ck_index j = 0; j < jlo; ++j)
        dst[j] = 0;
    for (ck_index j = jlo; j < jhi; ++j)
        dst[j] = src[j * s + off];
    for (ck_index j = jhi; j < J; ++j)
        dst[j] = 0;
}

/* Packed rows i < nrows of one W phase: row i holds input row ih = ih0 + i (zeros outside the image). */
static void PACK_PLANE(const KTAB *kt, REAL *dst, ck_index Jp, const REAL *xc, ck_index IH, ck_index IW,
                       ck_index ih0, ck_index nrows, ck_index sw, ck_index off)
{
    const ck_index ilo = ck_depthwise_min(nrows, ih0 >= 0 ? 0 : -ih0);
    const ck_index ihi = ilo > ck_depthwise_min(nrows, IH - ih0) ? ilo : ck_depthwise_min(nrows, IH - ih0);
    if (ilo > 0)
        memset(dst, 0, (size_t)(ilo * Jp) * sizeof(REAL));
    if (sw == 1)
        kt->pack(dst + ilo * Jp, Jp, xc + (ih0 + ilo) * IW, IW, ihi - ilo, IW, off);
    else
        for (ck_index i = ilo; i < ihi; ++i)
            PACK_ROW(dst + i * Jp, Jp, xc + (ih0 + i) * IW, IW, sw, off);
    if (ihi < nrows)
        memset(dst + ihi * Jp, 0, (size_t)((nrows - ihi) * Jp) * sizeof(REAL));
}

/* Whether the forward problem q (one input channel per group) runs fwd3u on its inner planes: 3x3,
 * unit stride and dilation, and planes at least as long as the reach of its row-end loads (up to pl
 * elements before a row, pr + LANES after it; the tensor's first and last planes stay packed). If so,
 * *zrow is the zero row it reads for rows outside the image (allocated here; free with *zbuf).
 * Returns 1 (fwd3u), 0 (packed) or -1 (out of memory). */
static int FWD3U_SETUP(const KTAB *kt, const ck_conv_params *q, REAL **zbuf, const REAL **zrow)
{
    const ck_index pl = ck_depthwise_max(q->pad_before[2], 0), pr = ck_depthwise_max(q->pad_after[2], 0);
    const ck_index IW = q->in_size[2];
    *zbuf = NULL;
    *zrow = NULL;
    if (!kt->fwd3u || ck_conv_in_per_group(q) != 1 || q->kernel_size[1] != 3 || q->kernel_size[2] != 3 ||
        q->stride[1] != 1 || q->stride[2] != 1 || q->dilation[1] != 1 || q->dilation[2] != 1 ||
        q->in_size[1] * IW < ck_depthwise_max(pl, pr + kt->lanes))
        return 0;
    const size_t zlen = (size_t)(pl + IW + pr + 2 * kt->lanes);
    if (!(*zbuf = (REAL *)ck_aligned_alloc(zlen * sizeof(REAL))))
        return -1;
    memset(*zbuf, 0, zlen * sizeof(REAL));
    *zrow = *zbuf + pl;
    return 1;
}

/* Forward for any (C/G, K/G) on a problem with a trivial depth axis; the padding may be negative
 * (the direct operator's backward-input: cropping). */
ck_status DW_FWD(const ck_conv_params *p, const REAL *x, const REAL *w, const REAL *b, REAL *y)
{
    if (p->batch == 0)
        return CK_OK;
    const KTAB *kt = SELECT_KERNELS();
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index N = p->batch, C = p->in_channels, K = p->out_channels;
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2], KV = KH * KW;
    const ck_index IH = p->in_size[1], IW = p->in_size[2], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index sh = p->stride[1], pbh = p->pad_before[1];
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;
    const ck_index ntap = Cg * KV;

    ck_index *geo = (ck_index *)ck_aligned_alloc((size_t)(3 * KW) * sizeof(ck_index));
    if (!geo)
        return CK_ERR_NOMEM;
    ck_index *kslot = geo, *kshift = geo + KW, *sphase = geo + 2 * KW;
    const ck_index NS = ck_direct_axis_slots(p, 2, kslot, kshift, sphase);
    const ck_index Jp = ck_depthwise_row_len(p, kt->lanes);

    /* Output rows per task: the whole image when its packed rows fit 256 KiB, fewer to give every
     * thread >= 4 tasks. RB changes no sum (every output is computed whole by one call). */
    ck_index RB = OH;
    while (RB > 1 && (size_t)(Cg * NS * ck_depthwise_rows(p, RB) * Jp) * sizeof(REAL) > ((size_t)256 << 10))
        RB = (RB + 1) / 2;
    while (RB > 1 && N * G * ck_depthwise_cdiv(OH, RB) < 4 * nt)
        RB = (RB + 1) / 2;
    RB = ck_depthwise_cdiv(OH, ck_depthwise_cdiv(OH, RB)); /* same number of blocks, balanced */
    const ck_index nrb = ck_depthwise_cdiv(OH, RB), NR = ck_depthwise_rows(p, RB);
    const ck_index ntasks = N * G * nrb;
    const size_t buf_elems = (size_t)(Cg * NS * NR * Jp);
    /* Tasks handed out in chunks of consecutive planes, about 4 per thread: a thread then reads and
     * writes long runs of memory and takes fewer tasks from the shared counter (Zen 2, 2 threads,
     * dw3x3_56 forward, against chunks of 1: batch 8 1.96-2.46 -> 1.71-1.82 ms, batch 1 0.14-0.19 ->
     * 0.12-0.15 ms). Which thread computes a plane never changes its bits. With the chunks, the
     * software prefetch of the next task's input planes (for the hardware prefetcher, which had
     * started late on every new plane) no longer paid: without it 2-7% faster at batch 1 and 8. */
    const int chunk = (int)ck_depthwise_min(INT_MAX, ck_depthwise_max(1, ntasks / (4 * nt)));
    /* 3x3 at unit stride: the kernel reads the inner input planes in place (FWD3U_SETUP) */
    REAL *zbuf;
    const REAL *zrow;
    const int unpacked = FWD3U_SETUP(kt, p, &zbuf, &zrow);
    if (unpacked < 0) {
        ck_aligned_free(geo);
        return CK_ERR_NOMEM;
    }
    int err = 0;

#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(p->num_threads)
#endif
    {
        REAL *buf = (REAL *)ck_aligned_alloc(buf_elems * sizeof(REAL));
        ck_index *toff = (ck_index *)ck_aligned_alloc((size_t)ntap * sizeof(ck_index));
        const int ok = buf && toff;
        if (!ok) {
#if CK_BUILD_OPENMP
#pragma omp atomic write
#endif
            err = 1;
        } else {
            ck_depthwise_tap_offsets(p, Cg, NS, kslot, kshift, NR, Jp, toff);
        }

#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, chunk)
#endif
        for (ck_index task = 0; task < ntasks; ++task) {
            if (!ok)
                continue;
            const ck_index n = task / (G * nrb), g = (task / nrb) % G, oh0 = (task % nrb) * RB;
            const ck_index nr = ck_depthwise_min(RB, OH - oh0), nra = ck_depthwise_rows(p, nr);
            if (unpacked && n * C + g > 0 && n * C + g < N * C - 1) {
                const REAL *xc = x + (n * C + g) * IH * IW;
                for (ck_index k = 0; k < Kg; ++k) {
                    const ck_index kk = g * Kg + k;
                    kt->fwd3u(nr, xc, zrow, IH, IW, oh0 - pbh, p->pad_before[2], w + kk * 9, b ? b[kk] : (REAL)0, OW,
                              y + ((n * K + kk) * OH + oh0) * OW, OW);
                }
                continue;
            }
            for (ck_index c = 0; c < Cg; ++c) {
                const REAL *xc = x + (n * C + g * Cg + c) * IH * IW;
                for (ck_index s = 0; s < NS; ++s)
                    PACK_PLANE(kt, buf + (c * NS + s) * NR * Jp, Jp, xc, IH, IW, oh0 * sh - pbh, nra, p->stride[2],
                               sphase[s] - p->pad_before[2]);
            }
            for (ck_index k = 0; k < Kg; ++k) {
                const ck_index kk = g * Kg + k;
                kt->fwd(nr, buf, sh * Jp, ntap, toff, w + kk * ntap, b ? b[kk] : (REAL)0, OW,
                        y + ((n * K + kk) * OH + oh0) * OW, OW);
            }
        }
        ck_aligned_free(buf);
        ck_aligned_free(toff);
    }
    ck_aligned_free(zbuf);
    ck_aligned_free(geo);
    return err ? CK_ERR_NOMEM : CK_OK;
}

/* The weight gradient's steps, shared by DW_BWD_WEIGHT and DW_BWD_ALL. BWW_PACK_X: one input plane
 * xc packed whole, its NS W phases at buf + s*NR*Jp (NR rows: the whole output height's reach). */
static void BWW_PACK_X(const KTAB *kt, const ck_conv_params *p, ck_index NS, const ck_index *sphase, ck_index NR,
                       ck_index Jp, const REAL *xc, REAL *buf)
{
    for (ck_index s = 0; s < NS; ++s)
        PACK_PLANE(kt, buf + s * NR * Jp, Jp, xc, p->in_size[1], p->in_size[2], -p->pad_before[1], NR, p->stride[2],
                   sphase[s] - p->pad_before[2]);
}

/* acck[t][lane] += the products of one dy plane with the packed plane for every tap t (toff, in blocks
 * of CK_DEPTHWISE_BWW_MAXT taps). */
static void BWW_ADD(const KTAB *kt, const ck_conv_params *p, const ck_index *toff, ck_index Jp, const REAL *dyk,
                    const REAL *buf, REAL *acck)
{
    const ck_index KV = p->kernel_size[1] * p->kernel_size[2], OH = p->out_size[1], OW = p->out_size[2];
    for (ck_index t0 = 0; t0 < KV; t0 += CK_DEPTHWISE_BWW_MAXT)
        kt->bww(OH, dyk, OW, OW, buf, p->stride[1] * Jp, ck_depthwise_min(CK_DEPTHWISE_BWW_MAXT, KV - t0),
                toff + t0, acck + t0 * kt->lanes);
}

/* dwg[k][t] = the lanes of acc[k][t] added in order, for the M outputs of a group. */
static void BWW_STORE(const REAL *acc, ck_index M, ck_index KV, ck_index L, REAL *dwg)
{
    for (ck_index k = 0; k < M; ++k)
        for (ck_index t = 0; t < KV; ++t) {
            const REAL *a = acc + (k * KV + t) * L;
            REAL s = a[0];
            for (ck_index l = 1; l < L; ++l)
                s += a[l];
            dwg[k * KV + t] = s;
        }
}

/* dw[k][t] = sum_{n, oh, ow} dy[n][k][oh][ow] * x[n][k / M][oh*sh + kh*dh - pbh][ow*sw + kw*dw - pbw] */
ck_status DW_BWD_WEIGHT(const ck_conv_params *p, const REAL *dy, const REAL *x, REAL *dw)
{
    if (p->batch == 0)
        return CK_OK;
    const KTAB *kt = SELECT_KERNELS();
    const ck_index G = p->groups, Kg = ck_conv_out_per_group(p);
    const ck_index N = p->batch, C = p->in_channels, K = p->out_channels;
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2], KV = KH * KW;
    const ck_index IH = p->in_size[1], IW = p->in_size[2], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index L = kt->lanes;

    ck_index *geo = (ck_index *)ck_aligned_alloc((size_t)(3 * KW + KV) * sizeof(ck_index));
    if (!geo)
        return CK_ERR_NOMEM;
    ck_index *kslot = geo, *kshift = geo + KW, *sphase = geo + 2 * KW, *toff = geo + 3 * KW;
    const ck_index NS = ck_direct_axis_slots(p, 2, kslot, kshift, sphase);
    const ck_index Jp = ck_depthwise_row_len(p, L);
    const ck_index NR = ck_depthwise_rows(p, OH);
    ck_depthwise_tap_offsets(p, 1, NS, kslot, kshift, NR, Jp, toff);
    const size_t buf_elems = (size_t)(NS * NR * Jp);
    const size_t acc_elems = (size_t)(Kg * KV * L);
    const ck_index GB = ck_depthwise_bwd_groups(G, p->num_threads), nblk = ck_depthwise_cdiv(G, GB);
    int err = 0;

#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(p->num_threads)
#endif
    {
        REAL *buf = (REAL *)ck_aligned_alloc(buf_elems * sizeof(REAL));
        REAL *acc = (REAL *)ck_aligned_alloc((size_t)GB * acc_elems * sizeof(REAL));
        const int ok = buf && acc;
        if (!ok) {
#if CK_BUILD_OPENMP
#pragma omp atomic write
#endif
            err = 1;
        }

#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (ck_index blk = 0; blk < nblk; ++blk) {
            if (!ok)
                continue;
            const ck_index g0 = blk * GB, ng = ck_depthwise_min(GB, G - g0);
            memset(acc, 0, (size_t)ng * acc_elems * sizeof(REAL));
            for (ck_index n = 0; n < N; ++n)
                for (ck_index gi = 0; gi < ng; ++gi) {
                    const ck_index g = g0 + gi;
                    const REAL *xc = x + (n * C + g) * IH * IW;
                    BWW_PACK_X(kt, p, NS, sphase, NR, Jp, xc, buf);
                    for (ck_index k = 0; k < Kg; ++k)
                        BWW_ADD(kt, p, toff, Jp, dy + (n * K + g * Kg + k) * OH * OW, buf, acc + (gi * Kg + k) * KV * L);
                }
            for (ck_index gi = 0; gi < ng; ++gi)
                BWW_STORE(acc + gi * acc_elems, Kg, KV, L, dw + (g0 + gi) * Kg * KV);
        }
        ck_aligned_free(buf);
        ck_aligned_free(acc);
    }
    ck_aligned_free(geo);
    return err ? CK_ERR_NOMEM : CK_OK;
}

/* dx, dw and db of a unit-stride depthwise layer in one pass (contract: conv_depthwise.h). Task = a
 * block of GB consecutive groups (ck_depthwise_bwd_groups; group g = input channel g, outputs g*M ..
 * g*M+M-1), images in order, the block's groups in order within each image. Per image the dy planes
 * of a group are read from memory once and then used from cache three times: bww_rows against the packed
 * x plane (dw, as DW_BWD_WEIGHT), the bias sums (db, as ck_conv_bwd_bias), and, packed with the
 * backward-input geometry, fwd_rows with the flipped kernel over the whole dx plane (dx, as DW_FWD on
 * ck_conv_bwd_input_as_forward(p), whose row blocking changes no sum). */
ck_status DW_BWD_ALL(const ck_conv_params *p, const REAL *dy, const REAL *x, const REAL *w, REAL *dx, REAL *dw,
                     REAL *db)
{
    const KTAB *kt = SELECT_KERNELS();
    const ck_index G = p->groups, M = ck_conv_out_per_group(p);
    const ck_index N = p->batch, C = p->in_channels, K = p->out_channels;
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2], KV = KH * KW;
    const ck_index IH = p->in_size[1], IW = p->in_size[2], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index L = kt->lanes;
    ck_conv_params q;
    ck_conv_bwd_input_as_forward(p, &q);

    /* geo: the W tap geometry of dw (p: x packed) and of dx (q: dy packed), then their tap offsets */
    ck_index *geo = (ck_index *)ck_aligned_alloc((size_t)(6 * KW + KV + M * KV) * sizeof(ck_index));
    if (!geo)
        return CK_ERR_NOMEM;
    ck_index *kslot = geo, *kshift = geo + KW, *sphase = geo + 2 * KW;
    ck_index *qslot = geo + 3 * KW, *qshift = geo + 4 * KW, *qphase = geo + 5 * KW;
    ck_index *toff = geo + 6 * KW, *qtoff = toff + KV;
    const ck_index NS = ck_direct_axis_slots(p, 2, kslot, kshift, sphase);
    const ck_index QS = ck_direct_axis_slots(&q, 2, qslot, qshift, qphase);
    const ck_index Jp = ck_depthwise_row_len(p, L), NR = ck_depthwise_rows(p, OH);
    const ck_index Jq = ck_depthwise_row_len(&q, L), NQ = ck_depthwise_rows(&q, IH);
    ck_depthwise_tap_offsets(p, 1, NS, kslot, kshift, NR, Jp, toff);
    ck_depthwise_tap_offsets(&q, M, QS, qslot, qshift, NQ, Jq, qtoff); /* q's input channels: the M outputs */
    const size_t xbuf_elems = (size_t)(NS * NR * Jp), dybuf_elems = (size_t)(M * QS * NQ * Jq);
    const size_t acc_elems = (size_t)(M * KV * L);
    /* dx of the inner planes by fwd3u on dy in place (one output channel per group), as the separate
     * backward-input does. Zen 2, 2 threads, float32 128 x 56 x 56, in one process against packing dy:
     * batch 1 1.03-1.04x, batch 8 1.00-1.01x (dy comes from memory once either way) */
    REAL *zbuf;
    const REAL *zrow;
    const int dx_unpacked = FWD3U_SETUP(kt, &q, &zbuf, &zrow);
    if (dx_unpacked < 0) {
        ck_aligned_free(geo);
        return CK_ERR_NOMEM;
    }
    int err = 0;
    const ck_index GB = ck_depthwise_bwd_groups(G, p->num_threads), nblk = ck_depthwise_cdiv(G, GB);

#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(p->num_threads)
#endif
    {
        REAL *xbuf = (REAL *)ck_aligned_alloc((xbuf_elems + dybuf_elems + (size_t)GB * (acc_elems + (size_t)(M * KV))) *
                                              sizeof(REAL));
        REAL *dybuf = xbuf + xbuf_elems, *acc = dybuf + dybuf_elems, *wt = acc + GB * acc_elems;
        double bsum[CK_DEPTHWISE_BWD_GB][CK_DEPTHWISE_MAX_MULT][CK_BIAS_SUMS];
        if (!xbuf) {
#if CK_BUILD_OPENMP
#pragma omp atomic write
#endif
            err = 1;
        }

#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (ck_index blk = 0; blk < nblk; ++blk) {
            if (!xbuf)
                continue;
            const ck_index g0 = blk * GB, ng = ck_depthwise_min(GB, G - g0);
            memset(acc, 0, (size_t)ng * acc_elems * sizeof(REAL));
            memset(bsum, 0, sizeof bsum);
            for (ck_index c = 0; c < ng * M; ++c) /* the flipped kernels: wt[c][t] = w[g0*M + c][KV-1-t] */
                for (ck_index t = 0; t < KV; ++t)
                    wt[c * KV + t] = w[(g0 * M + c) * KV + (KV - 1 - t)];
            for (ck_index n = 0; n < N; ++n)
                for (ck_index gi = 0; gi < ng; ++gi) {
                    const ck_index g = g0 + gi;
                    const REAL *xc = x + (n * C + g) * IH * IW;
                    const REAL *dyg = dy + (n * K + g * M) * OH * OW;
                    const REAL *wtg = wt + gi * M * KV;
                    REAL *accg = acc + gi * acc_elems;
                    const int dx_inplace = dx_unpacked && n * K + g * M > 0 && n * K + g * M < N * K - 1;
                    BWW_PACK_X(kt, p, NS, sphase, NR, Jp, xc, xbuf);
                    for (ck_index k = 0; k < M; ++k) {
                        const REAL *dyk = dyg + k * OH * OW;
                        BWW_ADD(kt, p, toff, Jp, dyk, xbuf, accg + k * KV * L);
                        if (db)
                            BIAS_ADD_PLANE(bsum[gi][k], dyk, OH * OW);
                        for (ck_index s = 0; s < QS && !dx_inplace; ++s)
                            PACK_PLANE(kt, dybuf + (k * QS + s) * NQ * Jq, Jq, dyk, OH, OW, -q.pad_before[1], NQ, 1,
                                       qphase[s] - q.pad_before[2]);
                    }
                    if (dx_inplace)
                        kt->fwd3u(IH, dyg, zrow, OH, OW, -q.pad_before[1], q.pad_before[2], wtg, (REAL)0, IW,
                                  dx + (n * C + g) * IH * IW, IW);
                    else
                        kt->fwd(IH, dybuf, Jq, M * KV, qtoff, wtg, (REAL)0, IW, dx + (n * C + g) * IH * IW, IW);
                }
            for (ck_index gi = 0; gi < ng; ++gi) {
                const ck_index g = g0 + gi;
                BWW_STORE(acc + gi * acc_elems, M, KV, L, dw + g * M * KV);
                for (ck_index k = 0; k < M && db; ++k)
                    db[g * M + k] = (REAL)ck_bias_total(bsum[gi][k]);
            }
        }
        ck_aligned_free(xbuf);
    }
    ck_aligned_free(zbuf);
    ck_aligned_free(geo);
    return err ? CK_ERR_NOMEM : CK_OK;
}

#undef REAL
#undef KTAB
#undef KLIST
#undef SELECT_KERNELS
#undef PACK_ROW
#undef PACK_PLANE
#undef DW_FWD
#undef DW_BWD_WEIGHT
#undef DW_BWD_ALL
#undef FWD3U_SETUP
#undef BWW_PACK_X
#undef BWW_ADD
#undef BWW_STORE
#undef BIAS_ADD_PLANE
