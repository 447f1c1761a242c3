/*
 * conv_depthwise_template.h -- the depthwise operator for one real type (contract and design:
 * conv_depthwise.c, which includes this with REAL, KTAB, KLIST, SELECT_KERNELS, PACK_ROW, PACK_PLANE and the entry
 * point names #defined; they are #undef'd at the end).
 */

static const KTAB *SELECT_KERNELS(void)
{
#define DW_ENTRY(isa, lanes, fwd, bww, pack) {isa, lanes, fwd, bww, pack},
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
    const ck_index sh = p->stride[1], dh = p->dilation[1], pbh = p->pad_before[1];
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
            /* taps in w's order (c, kh, kw): packed [c][slot][row][Jp] */
            for (ck_index c = 0; c < Cg; ++c)
                for (ck_index kh = 0; kh < KH; ++kh)
                    for (ck_index kw = 0; kw < KW; ++kw)
                        toff[(c * KH + kh) * KW + kw] = ((c * NS + kslot[kw]) * NR + kh * dh) * Jp + kshift[kw];
        }

#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (ck_index task = 0; task < ntasks; ++task) {
            if (!ok)
                continue;
            const ck_index n = task / (G * nrb), g = (task / nrb) % G, oh0 = (task % nrb) * RB;
            const ck_index nr = ck_depthwise_min(RB, OH - oh0), nra = ck_depthwise_rows(p, nr);
            for (ck_index c = 0; c < Cg; ++c) {
                const REAL *xc = x + (n * C + g * Cg + c) * IH * IW;
                for (ck_index s = 0; s < NS; ++s)
                    PACK_PLANE(kt, buf + (c * NS + s) * NR * Jp, Jp, xc, IH, IW, oh0 * sh - pbh, nra, p->stride[2],
                               sphase[s] - p->pad_before[2]);
            }
            if (task + 1 < ntasks) { /* the next task's input rows, while this one computes */
                const ck_index n1 = (task + 1) / (G * nrb), g1 = ((task + 1) / nrb) % G;
                const ck_index ih0 = (((task + 1) % nrb) * RB) * sh - pbh;
                const ck_index lo = ih0 < 0 ? 0 : ih0, hi = ck_depthwise_min(IH, ih0 + NR);
                for (ck_index c = 0; c < Cg && hi > lo; ++c)
                    ck_depthwise_prefetch(x + ((n1 * C + g1 * Cg + c) * IH + lo) * IW,
                                          (size_t)((hi - lo) * IW) * sizeof(REAL));
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
    ck_aligned_free(geo);
    return err ? CK_ERR_NOMEM : CK_OK;
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
    const ck_index sh = p->stride[1], dh = p->dilation[1], pbh = p->pad_before[1];
    const ck_index L = kt->lanes;

    ck_index *geo = (ck_index *)ck_aligned_alloc((size_t)(3 * KW + KV) * sizeof(ck_index));
    if (!geo)
        return CK_ERR_NOMEM;
    ck_index *kslot = geo, *kshift = geo + KW, *sphase = geo + 2 * KW, *toff = geo + 3 * KW;
    const ck_index NS = ck_direct_axis_slots(p, 2, kslot, kshift, sphase);
    const ck_index Jp = ck_depthwise_row_len(p, L);
    const ck_index NR = ck_depthwise_rows(p, OH);
    for (ck_index kh = 0; kh < KH; ++kh)
        for (ck_index kw = 0; kw < KW; ++kw)
            toff[kh * KW + kw] = (kslot[kw] * NR + kh * dh) * Jp + kshift[kw];
    const size_t buf_elems = (size_t)(NS * NR * Jp);
    const size_t acc_elems = (size_t)(Kg * KV * L);
    int err = 0;

#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(p->num_threads)
#endif
    {
        REAL *buf = (REAL *)ck_aligned_alloc(buf_elems * sizeof(REAL));
        REAL *acc = (REAL *)ck_aligned_alloc(acc_elems * sizeof(REAL));
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
        for (ck_index g = 0; g < G; ++g) {
            if (!ok)
                continue;
            memset(acc, 0, acc_elems * sizeof(REAL));
            for (ck_index n = 0; n < N; ++n) {
                const REAL *xc = x + (n * C + g) * IH * IW;
                if (n + 1 < N) { /* the next image's planes, while this one computes */
                    ck_depthwise_prefetch(xc + C * IH * IW, (size_t)(IH * IW) * sizeof(REAL));
                    ck_depthwise_prefetch(dy + ((n + 1) * K + g * Kg) * OH * OW, (size_t)(Kg * OH * OW) * sizeof(REAL));
                }
                for (ck_index s = 0; s < NS; ++s)
                    PACK_PLANE(kt, buf + s * NR * Jp, Jp, xc, IH, IW, -pbh, NR, p->stride[2],
                               sphase[s] - p->pad_before[2]);
                for (ck_index k = 0; k < Kg; ++k) {
                    const REAL *dyk = dy + (n * K + g * Kg + k) * OH * OW;
                    for (ck_index t0 = 0; t0 < KV; t0 += CK_DEPTHWISE_BWW_MAXT)
                        kt->bww(OH, dyk, OW, OW, buf, sh * Jp, ck_depthwise_min(CK_DEPTHWISE_BWW_MAXT, KV - t0),
                                toff + t0, acc + (k * KV + t0) * L);
                }
            }
            for (ck_index k = 0; k < Kg; ++k)
                for (ck_index t = 0; t < KV; ++t) {
                    const REAL *a = acc + (k * KV + t) * L;
                    REAL s = a[0];
                    for (ck_index l = 1; l < L; ++l)
                        s += a[l];
                    dw[(g * Kg + k) * KV + t] = s;
                }
        }
        ck_aligned_free(buf);
        ck_aligned_free(acc);
    }
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
