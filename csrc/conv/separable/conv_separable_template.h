/*
 * conv_separable_template.h -- the separable operator for one real type (contract and design:
 * conv_separable.c). Included by conv_separable.c with REAL, TAPSUM_FN, SELECT_TAPSUM, PACK_FACTORS
 * and the entry-point names #defined. Index arithmetic is 64-bit (ck_index) throughout.
 */

/* fac[s][K0 + K1 + K2] from w[s][K0][K1][K2], s = k*Cg + c: the factors through the largest-magnitude
 * element (i*, j*, l*) (the first one in C order), with value v:
 *   f0[t] = w[t][j*][l*],  f1[t] = w[i*][t][l*] / v,  f2[t] = w[i*][j*][t] / v,
 * so f0[i] f1[j] f2[l] = w[i][j][l] exactly (up to rounding) when the slice has rank 1; an all-zero
 * slice gives zero factors. cnnkern/separable.py:separable_factors() uses the same pivot. */
static void PACK_FACTORS(const ck_conv_params *p, const REAL *w, REAL *fac)
{
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index KS = K0 + K1 + K2, KV = K0 * K1 * K2;
    const ck_index nslices = p->out_channels * ck_conv_in_per_group(p);
    for (ck_index s = 0; s < nslices; ++s) {
        const REAL *ws = w + s * KV;
        REAL *f = fac + s * KS;
        /* the first element of the largest magnitude: max |w| (ABSMAX), then the first one equal
         * to it -- the same pivot as one strict-> scan (w is finite) */
        const REAL vmax = ABSMAX(ws, KV);
        ck_index imax = 0;
        while (imax < KV - 1 && (ws[imax] < 0 ? -ws[imax] : ws[imax]) != vmax)
            ++imax;
        const REAL v = ws[imax];
        if (v == 0) {
            for (ck_index t = 0; t < KS; ++t)
                f[t] = 0;
            continue;
        }
        const ck_index a0 = imax / (K1 * K2), a1 = (imax / K2) % K1, a2 = imax % K2;
        for (ck_index t = 0; t < K0; ++t)
            f[t] = ws[(t * K1 + a1) * K2 + a2];
        for (ck_index t = 0; t < K1; ++t)
            f[K0 + t] = ws[(a0 * K1 + t) * K2 + a2] / v;
        for (ck_index t = 0; t < K2; ++t)
            f[K0 + K1 + t] = ws[(a0 * K1 + a1) * K2 + t] / v;
    }
}

/* resid[s] = max |w[s] - f0 (x) f1 (x) f2| / max |w[s]| for the PACK_FACTORS factors (0 for a zero
 * slice; computed in double; w finite, which Python checks), and the factors into fac. The
 * separability test of cnnkern/separable.py. */
ck_status SEP_FACTORIZE(const ck_conv_params *p, const REAL *w, REAL *fac, double *resid)
{
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index KS = K0 + K1 + K2, KV = K0 * K1 * K2;
    const ck_index nslices = p->out_channels * ck_conv_in_per_group(p);
    PACK_FACTORS(p, w, fac);
    for (ck_index s = 0; s < nslices; ++s) {
        const REAL *ws = w + s * KV;
        const REAL *f = fac + s * KS;
        double vmax = 0, err = 0;
        for (ck_index i = 0; i < K0; ++i)
            for (ck_index j = 0; j < K1; ++j)
                RESID_ROW(ws + (i * K1 + j) * K2, f + K0 + K1, (double)f[i] * (double)f[K0 + j], K2, &err, &vmax);
        resid[s] = vmax > 0 ? err / vmax : 0.0;
    }
    return CK_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* forward: y = conv(x, w) + b with w[k][c] = f0 (x) f1 (x) f2                                        */
/* ------------------------------------------------------------------------------------------------ */
/* What the steps of one forward call share: the kernels, the plan, and (per worker) the scratch. */
typedef struct SEP_FWD_CTX {
    const ck_conv_params *p;
    TAPSUM_FN tapsum;
    TAPSUM_ROWS_FN tapsum_rows;
    TAPSUM_SHIFT_FN tapsum_shift;
    TAPSUM_SHIFT_ROWS_FN tapsum_shift_rows;
    ck_index Wneed; /* padded W positions the row pass reads: [0, Wneed); input column c sits at c + pb2 */
    ck_index ncol;  /* input columns inside it (<= 0: none) */
    ck_index M;     /* length of one W phase */
    ck_index RB;    /* output rows per task */
    int rows_first, flat, blocked;
    const REAL **src, **rowp; /* tap sources; blocked: the window rows */
    REAL *coef;
    REAL *T, *Ph;             /* T[q] = column-pass value at padded W position q; Ph[phase][m] = T[m*s2 + phase] */
    REAL *Tb;                 /* rows first: Tb[r][j], the row pass of every input row a block reads */
    REAL *Xp, *Tf, *Ya;       /* flat: Xp[XR][Wneed] padded input rows, Tf[RB][Wneed] column pass, Ya the y block */
    REAL *Tq;                 /* blocked: Tq[CK_SEP_NB][Wneed], the column pass of CK_SEP_NB rows */
} SEP_FWD_CTX;

/* The pass along axis 2 of one padded row Tr (Wneed positions): out[j] (+)= sum_t2 f2[t2] Tr[j*s2 + t2*d2],
 * contiguous per tap (split into its s2 phases first when s2 > 1). */
static void SEP_W_PASS(const SEP_FWD_CTX *c, const REAL *Tr, const REAL *f2, REAL *out, int acc)
{
    const ck_index O2 = c->p->out_size[2], K2 = c->p->kernel_size[2];
    const ck_index s2 = c->p->stride[2], d2 = c->p->dilation[2], M = c->M;
    if (s2 == 1 && d2 == 1) {
        c->tapsum_shift(O2, K2, Tr, f2, out, acc);
        return;
    }
    if (s2 == 1) {
        for (ck_index t2 = 0; t2 < K2; ++t2)
            c->src[t2] = Tr + t2 * d2;
    } else {
        for (ck_index ph = 0; ph < s2; ++ph)
            for (ck_index m = 0; m * s2 + ph < c->Wneed; ++m)
                c->Ph[ph * M + m] = Tr[m * s2 + ph];
        for (ck_index t2 = 0; t2 < K2; ++t2)
            c->src[t2] = c->Ph + ((t2 * d2) % s2) * M + (t2 * d2) / s2;
    }
    c->tapsum(O2, K2, c->src, f2, out, acc);
}

/* The plan (from the problem only, never the thread count): rows per task and the pass order. */
static void SEP_FWD_PLAN(SEP_FWD_CTX *c)
{
    const ck_conv_params *p = c->p;
    const ck_index I1 = p->in_size[1], I2 = p->in_size[2], O1 = p->out_size[1], O2 = p->out_size[2];
    const ck_index K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index s1 = p->stride[1], s2 = p->stride[2], d1 = p->dilation[1], d2 = p->dilation[2];
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;
    c->Wneed = (O2 - 1) * s2 + (K2 - 1) * d2 + 1;
    c->ncol = ck_sep_min(I2, c->Wneed - p->pad_before[2]);
    c->M = ck_sep_cdiv(c->Wneed, s2);
    const ck_index Wneed = c->Wneed, ncol = c->ncol;

    /* Output rows per task: the block of y stays in L2 over the channel loop (<= 256 KiB), and
     * there are >= 4 tasks per thread. Blocking changes no sum, only the speed. */
    ck_index RB = O1;
    while (RB > 1 && (size_t)(RB * O2) * sizeof(REAL) > ((size_t)256 << 10))
        RB = ck_sep_cdiv(RB, 2);
    while (RB > 1 && p->batch * p->out_channels * p->out_size[0] * ck_sep_cdiv(O1, RB) < 4 * nt)
        RB = ck_sep_cdiv(RB, 2);
    c->RB = ck_sep_cdiv(O1, ck_sep_cdiv(O1, RB));

    /* Pass order for axes 1 and 2, from the whole-plane work: columns first (axis 1, then axis 2)
     * costs per plane O1*(ncol*K1 + O2*K2) (+ O1*Wneed to split phases when s2 > 1); rows first
     * (axis 2 on every input row read, then axis 1) costs rows*(O2*K2 + Wneed) + O1*O2*K1, rows = the
     * input rows in reach. Rows first wins with a W stride (the column pass would compute every
     * skipped column); it must win by 25% to be taken (columns first needs no row-block buffer). */
    const double rows_reached = (double)ck_sep_min(I1, (O1 - 1) * s1 + (K1 - 1) * d1 + 1);
    const double cost_cols = (double)O1 * ((double)ncol * K1 + (double)O2 * K2 + (s2 > 1 ? (double)Wneed : 0.0));
    const double cost_rows = rows_reached * ((double)O2 * K2 + (double)Wneed) + (double)O1 * O2 * K1;
    c->rows_first = ncol > 0 && 1.25 * cost_rows < cost_cols;
    /* Short rows at unit stride (columns first): whole row blocks as flattened runs, so each pass is
     * ONE tap sum per block and channel instead of one per row (the call and tap set-up cost as much
     * as the arithmetic on 64-wide rows). The block's input rows are copied into Xp with row stride
     * Wneed and zero rows/columns for the padding, so every tap is in range; the row pass computes
     * Wneed - O2 discarded columns per row, so only when that waste is <= 25% (beyond it, large
     * kernels ran slower this way). */
    c->flat = !c->rows_first && ncol > 0 && s1 == 1 && s2 == 1 && Wneed <= 512 && 4 * Wneed <= 5 * O2;
    /* columns first at unit H stride and dilation: the column pass runs CK_SEP_NB rows per call */
    c->blocked = !c->rows_first && !c->flat && s1 == 1 && d1 == 1 && c->RB >= CK_SEP_NB;
}

/* Flat path, one input channel: the block's nrows output rows (from ilo) as flattened runs into Ya.
 * P holds input rows [rlo, ...) of the channel after the axis-0 pass; f0 is folded into scale. */
static void SEP_FWD_FLAT(const SEP_FWD_CTX *c, const REAL *F, const REAL *P, REAL scale, ck_index ilo,
                         ck_index nrows, ck_index rlo)
{
    const ck_conv_params *p = c->p;
    const ck_index I1 = p->in_size[1], I2 = p->in_size[2], O2 = p->out_size[2];
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index d1 = p->dilation[1], d2 = p->dilation[2], pb1 = p->pad_before[1], pb2 = p->pad_before[2];
    const ck_index Wneed = c->Wneed, xr0 = ilo - pb1, nxr = nrows + (K1 - 1) * d1;
    /* Xp row u = padded input row xr0 + u (zero outside the input; the padding columns of Xp are
     * zero from the start and never written) */
    for (ck_index u = 0; u < nxr; ++u) {
        const ck_index r = xr0 + u;
        if (r >= 0 && r < I1)
            memcpy(c->Xp + u * Wneed + pb2, P + (r - rlo) * I2, (size_t)c->ncol * sizeof(REAL));
        else
            memset(c->Xp + u * Wneed + pb2, 0, (size_t)c->ncol * sizeof(REAL));
    }
    for (ck_index t1 = 0; t1 < K1; ++t1) {
        c->src[t1] = c->Xp + t1 * d1 * Wneed;
        c->coef[t1] = scale * F[K0 + t1];
    }
    c->tapsum(nrows * Wneed, K1, c->src, c->coef, c->Tf, 0);
    if (d2 == 1) {
        c->tapsum_shift((nrows - 1) * Wneed + O2, K2, c->Tf, F + K0 + K1, c->Ya, 1);
    } else {
        for (ck_index t2 = 0; t2 < K2; ++t2)
            c->src[t2] = c->Tf + t2 * d2;
        c->tapsum((nrows - 1) * Wneed + O2, K2, c->src, F + K0 + K1, c->Ya, 1);
    }
}

/* Rows-first path, one input channel: axis 2 on every input row in [rlo, rhi) into Tb, then axis 1
 * straight into output rows [ilo, ihi) of Y. */
static void SEP_FWD_ROWS_FIRST(const SEP_FWD_CTX *c, const REAL *F, const REAL *P, REAL scale, ck_index rlo,
                               ck_index rhi, ck_index ilo, ck_index ihi, REAL *Y)
{
    const ck_conv_params *p = c->p;
    const ck_index I1 = p->in_size[1], I2 = p->in_size[2], O2 = p->out_size[2];
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1];
    const ck_index s1 = p->stride[1], d1 = p->dilation[1], pb1 = p->pad_before[1], pb2 = p->pad_before[2];
    /* pass 2', axis 2: Tb[r][j] = sum_t2 f2[t2] Ppad[r][j*s2 + t2*d2] (the row copied into the padded T) */
    for (ck_index r = rlo; r < rhi; ++r) {
        memcpy(c->T + pb2, P + (r - rlo) * I2, (size_t)c->ncol * sizeof(REAL));
        SEP_W_PASS(c, c->T, F + K0 + K1, c->Tb + (r - rlo) * O2, 0);
    }
    /* pass 3', axis 1: y[i1] += sum_t1 f1[t1] Tb[i1*s1 + t1*d1 - pb1] (f0 folded in) */
    for (ck_index i1 = ilo; i1 < ihi; ++i1) {
        ck_index nt1 = 0;
        for (ck_index t1 = 0; t1 < K1; ++t1) {
            const ck_index r1 = i1 * s1 + t1 * d1 - pb1;
            if (r1 < 0 || r1 >= I1)
                continue;
            c->src[nt1] = c->Tb + (r1 - rlo) * O2;
            c->coef[nt1] = scale * F[K0 + t1];
            ++nt1;
        }
        c->tapsum(O2, nt1, c->src, c->coef, Y + i1 * O2, 1);
    }
}

/* Columns-first path, one input channel: per output row in [ilo, ihi) (or CK_SEP_NB of them when
 * blocked), axis 1 into the padded row buffer, then axis 2 into Y. */
static void SEP_FWD_COLS_FIRST(const SEP_FWD_CTX *c, const REAL *F, const REAL *P, REAL scale, ck_index rlo,
                               ck_index ilo, ck_index ihi, REAL *Y)
{
    const ck_conv_params *p = c->p;
    const ck_index I1 = p->in_size[1], I2 = p->in_size[2], O2 = p->out_size[2];
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index s1 = p->stride[1], d1 = p->dilation[1], pb1 = p->pad_before[1], pb2 = p->pad_before[2];
    const ck_index Wneed = c->Wneed;
    for (ck_index i1 = ilo; i1 < ihi;) {
        /* pass 2, axis 1: T[pb2 + col] = sum_t1 f1[t1] P[i1*s1 + t1*d1 - pb1][col], the taps
         * inside the input in order; CK_SEP_NB rows at once (one load of each P row for
         * all of them) when each of those rows has a tap inside, else one row -- the same
         * sums either way. Window row m is input row i1 - pb1 + m, inside for [mlo, mhi). */
        ck_index nb = 1;
        const ck_index mlo = ck_sep_max(0, pb1 - i1), mhi = ck_sep_min(CK_SEP_NB + K1 - 1, I1 - i1 + pb1);
        if (c->blocked && i1 + CK_SEP_NB <= ihi && mlo < K1 && mhi > CK_SEP_NB - 1) {
            nb = CK_SEP_NB;
            for (ck_index m = mlo; m < mhi; ++m)
                c->rowp[m] = P + (i1 - pb1 + m - rlo) * I2;
            for (ck_index t1 = 0; t1 < K1; ++t1)
                c->coef[t1] = scale * F[K0 + t1];
            REAL *outs[CK_SEP_NB];
            for (int q = 0; q < CK_SEP_NB; ++q)
                outs[q] = c->Tq + q * Wneed + pb2;
            c->tapsum_rows(c->ncol, CK_SEP_NB, K1, c->rowp, mlo, mhi, c->coef, outs, 0);
        } else {
            ck_index nt1 = 0;
            for (ck_index t1 = 0; t1 < K1; ++t1) {
                const ck_index r1 = i1 * s1 + t1 * d1 - pb1;
                if (r1 < 0 || r1 >= I1)
                    continue;
                c->src[nt1] = P + (r1 - rlo) * I2;
                c->coef[nt1] = scale * F[K0 + t1];
                ++nt1;
            }
            if (nt1 == 0) {
                ++i1;
                continue;
            }
            c->tapsum(c->ncol, nt1, c->src, c->coef, c->T + pb2, 0);
        }
        if (nb > 1 && p->stride[2] == 1 && p->dilation[2] == 1) { /* pass 3 on the group, two rows at a time */
            c->tapsum_shift_rows(O2, nb, K2, c->Tq, Wneed, F + K0 + K1, Y + i1 * O2, O2, 1);
            i1 += nb;
            continue;
        }
        for (ck_index q = 0; q < nb; ++q, ++i1) /* pass 3, axis 2 */
            SEP_W_PASS(c, nb > 1 ? c->Tq + q * Wneed : c->T, F + K0 + K1, Y + i1 * O2, 1);
    }
}

ck_status SEP_FWD_FACTORS(const ck_conv_params *p, const REAL *x, const REAL *fac, const REAL *b, REAL *y)
{
    if (p->batch == 0)
        return CK_OK;
    SEP_FWD_CTX c0;
    memset(&c0, 0, sizeof c0);
    c0.p = p;
    c0.tapsum = SELECT_TAPSUM();
    c0.tapsum_rows = SELECT_TAPSUM_ROWS();
    c0.tapsum_shift = SELECT_TAPSUM_SHIFT();
    c0.tapsum_shift_rows = SELECT_TAPSUM_SHIFT_ROWS();
    SEP_FWD_PLAN(&c0);
    const ck_index N = p->batch, C = p->in_channels, K = p->out_channels;
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index I0 = p->in_size[0], I1 = p->in_size[1], I2 = p->in_size[2];
    const ck_index O0 = p->out_size[0], O1 = p->out_size[1], O2 = p->out_size[2];
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index s0 = p->stride[0], s1 = p->stride[1], s2 = p->stride[2];
    const ck_index d0 = p->dilation[0], d1 = p->dilation[1], pb0 = p->pad_before[0], pb1 = p->pad_before[1];
    const ck_index KS = K0 + K1 + K2, KMAX = ck_sep_max(K0, ck_sep_max(K1, K2));
    const ck_index in_plane = I1 * I2, out_plane = O1 * O2;
    const ck_index Wneed = c0.Wneed, RB = c0.RB, nrb = ck_sep_cdiv(O1, RB);
    const int rows_first = c0.rows_first, flat = c0.flat, blocked = c0.blocked;
    const ck_index Prows = ck_sep_min(I1, (RB - 1) * s1 + (K1 - 1) * d1 + 1);
    const ck_index XR = RB + (K1 - 1) * d1; /* Xp rows per block */
    const size_t pbuf_elems = (K0 > 1 ? (size_t)(Prows * I2) : 0) + (rows_first ? (size_t)(Prows * O2) : 0);
    const size_t row_elems = (size_t)Wneed + (s2 > 1 ? (size_t)(s2 * c0.M) : 0) +
                             (flat ? (size_t)((XR + 2 * RB) * Wneed) : 0) +
                             (blocked ? (size_t)(CK_SEP_NB * Wneed) : 0);
    const ck_index ntasks = N * K * O0 * nrb;
    int err = 0;

    CK_OMP(parallel num_threads(ck_team(p->num_threads, ntasks)))
    {
        SEP_FWD_CTX c = c0; /* this worker's scratch */
        REAL *pbuf = (REAL *)ck_aligned_alloc((pbuf_elems + row_elems) * sizeof(REAL));
        c.src = (const REAL **)ck_aligned_alloc((size_t)KMAX * sizeof(const REAL *));
        c.coef = (REAL *)ck_aligned_alloc((size_t)KMAX * sizeof(REAL));
        c.rowp = blocked ? (const REAL **)ck_aligned_alloc((size_t)(K1 + CK_SEP_NB - 1) * sizeof(const REAL *)) : NULL;
        const int ok = pbuf && c.src && c.coef && (c.rowp || !blocked);
        if (!ok) {
            CK_OMP(atomic write)
            err = 1;
        } else {
            /* the padding columns of the row buffer are never written: zero them once */
            memset(pbuf + pbuf_elems, 0, row_elems * sizeof(REAL));
            c.T = pbuf + pbuf_elems;
            c.Ph = c.T + Wneed;
            c.Tb = rows_first ? pbuf + (K0 > 1 ? Prows * I2 : 0) : NULL;
            c.Xp = flat ? c.Ph + (s2 > 1 ? s2 * c0.M : 0) : NULL;
            c.Tf = flat ? c.Xp + XR * Wneed : NULL;
            c.Ya = flat ? c.Tf + RB * Wneed : NULL;
            c.Tq = blocked ? c.Ph + (s2 > 1 ? s2 * c0.M : 0) : NULL;
        }

        CK_OMP(for schedule(dynamic, 1))
        for (ck_index task = 0; task < ntasks; ++task) {
            if (!ok || ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                continue;
            const ck_index n = task / (K * O0 * nrb), k = (task / (O0 * nrb)) % K;
            const ck_index i0 = (task / nrb) % O0, ilo = (task % nrb) * RB;
            const ck_index ihi = ck_sep_min(O1, ilo + RB);
            const ck_index g = k / Kg;
            REAL *Y = y + ((n * K + k) * O0 + i0) * out_plane;
            const REAL bias = b ? b[k] : (REAL)0;
            for (ck_index e = ilo * O2; e < ihi * O2; ++e)
                Y[e] = bias;
            if (c.ncol <= 0)
                continue;
            /* input rows (along axis 1) the block reads: [rlo, rhi) */
            const ck_index rlo = ck_sep_max(0, ilo * s1 - pb1);
            const ck_index rhi = ck_sep_min(I1, (ihi - 1) * s1 + (K1 - 1) * d1 - pb1 + 1);
            if (rhi <= rlo)
                continue;
            const ck_index nrows = ihi - ilo;
            if (flat)
                for (ck_index e = 0; e < nrows * Wneed; ++e)
                    c.Ya[e] = bias;
            for (ck_index cc = 0; cc < Cg; ++cc) {
                const REAL *X = x + (n * C + g * Cg + cc) * I0 * in_plane;
                const REAL *F = fac + (k * Cg + cc) * KS;
                /* pass 1, axis 0: P[r][col] = sum_t0 f0[t0] x[i0*s0 + t0*d0 - pb0][r][col], rows [rlo, rhi) */
                ck_index nt0 = 0;
                for (ck_index t0 = 0; t0 < K0; ++t0) {
                    const ck_index r0 = i0 * s0 + t0 * d0 - pb0;
                    if (r0 < 0 || r0 >= I0)
                        continue;
                    c.src[nt0] = X + r0 * in_plane + rlo * I2;
                    c.coef[nt0] = F[t0];
                    ++nt0;
                }
                if (nt0 == 0)
                    continue;
                const REAL *P;
                REAL scale = 1;
                if (nt0 == 1) { /* one plane (always in 2-D): read x itself, fold f0 into f1 */
                    P = c.src[0];
                    scale = c.coef[0];
                } else {
                    c.tapsum((rhi - rlo) * I2, nt0, c.src, c.coef, pbuf, 0);
                    P = pbuf;
                }
                if (flat)
                    SEP_FWD_FLAT(&c, F, P, scale, ilo, nrows, rlo);
                else if (rows_first)
                    SEP_FWD_ROWS_FIRST(&c, F, P, scale, rlo, rhi, ilo, ihi, Y);
                else
                    SEP_FWD_COLS_FIRST(&c, F, P, scale, rlo, ilo, ihi, Y);
            }
            if (flat)
                for (ck_index i = 0; i < nrows; ++i)
                    memcpy(Y + (ilo + i) * O2, c.Ya + i * Wneed, (size_t)O2 * sizeof(REAL));
        }
        ck_aligned_free(pbuf);
        ck_aligned_free((void *)c.src);
        ck_aligned_free(c.coef);
        ck_aligned_free((void *)c.rowp);
    }
    return err ? CK_ERR_NOMEM : CK_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* backward-input: dx = the adjoint of the forward, per axis the transposed 1-D correlation            */
/* ------------------------------------------------------------------------------------------------ */
/* Adjoint of axis 2 for dy rows [ilo, ihi) of one dy plane DYp into hbuf (row i1 at (i1 - ilo)*I2):
 * H[i1][col] = sum over (j, t2) with j*s2 + t2*d2 = col + pb2 of f2[t2] dy[i1][j]. Columns of phase
 * a = col mod s2 take the taps with (a + pb2 - t2*d2) divisible by s2 and read dy[m + (a + pb2 -
 * t2*d2)/s2] for col = a + s2*m: a contiguous correlation. D is the dy row with L zeros before it
 * (and zero margins after), E a phase buffer; src / coef scratch of the kernel size. */
static void SEP_BWI_W_ADJOINT(const ck_conv_params *p, TAPSUM_FN tapsum, TAPSUM_SHIFT_FN tapsum_shift,
                              const REAL *F, const REAL *DYp, ck_index ilo, ck_index ihi, ck_index L, REAL *D,
                              REAL *E, const REAL **src, REAL *coef, REAL *hbuf)
{
    const ck_index I2 = p->in_size[2], O2 = p->out_size[2];
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index s2 = p->stride[2], d2 = p->dilation[2], pb2 = p->pad_before[2];
    for (ck_index i1 = ilo; i1 < ihi; ++i1) {
        memcpy(D + L, DYp + i1 * O2, (size_t)O2 * sizeof(REAL));
        REAL *H = hbuf + (i1 - ilo) * I2;
        if (s2 == 1 && d2 == 1) {
            /* H[col] = sum_t2 f2[t2] D[L + pb2 + col - t2] (L = K2 - 1): unit shifts
             * of D + pb2 with the taps reversed (t2 = K2 - 1 first) */
            for (ck_index t = 0; t < K2; ++t)
                coef[t] = F[K0 + K1 + K2 - 1 - t];
            tapsum_shift(I2, K2, D + pb2, coef, H, 0);
            continue;
        }
        for (ck_index a = 0; a < s2 && a < I2; ++a) {
            ck_index nt2 = 0;
            for (ck_index t2 = 0; t2 < K2; ++t2) {
                const ck_index e = a + pb2 - t2 * d2;
                if (ck_sep_fmod(e, s2) != 0)
                    continue;
                src[nt2] = D + L + ck_sep_fdiv(e, s2);
                coef[nt2] = F[K0 + K1 + t2];
                ++nt2;
            }
            const ck_index Ma = ck_sep_cdiv(I2 - a, s2);
            if (s2 == 1) {
                tapsum(Ma, nt2, src, coef, H, 0);
            } else {
                tapsum(Ma, nt2, src, coef, E, 0);
                /* unrolled: as a 5-instruction loop its speed hung on where the loop landed in the
                 * code (+25% on a stride-2 7x7 layer when it crossed a 64-byte boundary) */
#pragma GCC unroll 4
                for (ck_index m = 0; m < Ma; ++m)
                    H[a + s2 * m] = E[m];
            }
        }
    }
}

/* Adjoint of axis 1 (a gather) for dx rows [rlo, rhi): Q[r1] = sum over t1 with (r1 + pb1 - t1*d1) =
 * i1*s1, ilo <= i1 < ihi, of scale f1[t1] H[i1], into Qbase (row r1 at (r1 - rlo)*I2), added when acc.
 * At unit H stride and dilation (rowp != NULL) as tapsum_rows over reversed taps, CK_SEP_NB rows per
 * call (the same order for every row, whatever the block). */
static void SEP_BWI_H_ADJOINT(const ck_conv_params *p, TAPSUM_FN tapsum, TAPSUM_ROWS_FN tapsum_rows,
                              const REAL *F, REAL scale, const REAL *hbuf, ck_index ilo, ck_index ihi,
                              ck_index rlo, ck_index rhi, const REAL **src, const REAL **rowp, REAL *coef,
                              REAL *Qbase, int acc)
{
    const ck_index I2 = p->in_size[2], O1 = p->out_size[1];
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1];
    const ck_index s1 = p->stride[1], d1 = p->dilation[1], pb1 = p->pad_before[1];
    if (rowp) {
        /* window row m = H row r1 + pb1 - (K1 - 1) + m, taps t1 = K1 - 1 first */
        for (ck_index t = 0; t < K1; ++t)
            coef[t] = scale * F[K0 + K1 - 1 - t];
        for (ck_index r1 = rlo; r1 < rhi; r1 += CK_SEP_NB) {
            const ck_index nout = ck_sep_min(CK_SEP_NB, rhi - r1);
            const ck_index base = r1 + pb1 - (K1 - 1);
            const ck_index mlo = ck_sep_max(0, ilo - base);
            const ck_index mhi = ck_sep_min(nout + K1 - 1, ihi - base);
            for (ck_index m = mlo; m < mhi; ++m)
                rowp[m] = hbuf + (base + m - ilo) * I2;
            REAL *outs[CK_SEP_NB];
            for (ck_index q = 0; q < nout; ++q)
                outs[q] = Qbase + (r1 + q - rlo) * I2;
            tapsum_rows(I2, nout, K1, rowp, mlo, mhi, coef, outs, acc);
        }
        return;
    }
    for (ck_index r1 = rlo; r1 < rhi; ++r1) {
        ck_index nt1 = 0;
        for (ck_index t1 = 0; t1 < K1; ++t1) {
            const ck_index e = r1 + pb1 - t1 * d1;
            if (e < 0 || e % s1 != 0 || e / s1 >= O1)
                continue;
            src[nt1] = hbuf + (e / s1 - ilo) * I2;
            coef[nt1] = scale * F[K0 + t1];
            ++nt1;
        }
        tapsum(I2, nt1, src, coef, Qbase + (r1 - rlo) * I2, acc);
    }
}

/* dx rows per task: >= 4 tasks per thread, the W-adjoint rows of a task (Hbuf) <= 1 MiB. The dy rows
 * a block needs overlap the next block's by about (K1-1)*d1/s1 (recomputed). Balanced over I1. */
static ck_index SEP_BWI_ROWS_PER_TASK(const ck_conv_params *p)
{
    const ck_index I1 = p->in_size[1], I2 = p->in_size[2], K1 = p->kernel_size[1];
    const ck_index s1 = p->stride[1], d1 = p->dilation[1];
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;
    ck_index RB = I1;
    while (RB > 1 && (size_t)((RB - 1 + (K1 - 1) * d1) / s1 + 1) * (size_t)I2 * sizeof(REAL) > ((size_t)1 << 20))
        RB = ck_sep_cdiv(RB, 2);
    while (RB > 1 && p->batch * p->in_channels * ck_sep_cdiv(I1, RB) < 4 * nt)
        RB = ck_sep_cdiv(RB, 2);
    return ck_sep_cdiv(I1, ck_sep_cdiv(I1, RB));
}

ck_status SEP_BWI_FACTORS(const ck_conv_params *p, const REAL *dy, const REAL *fac, REAL *dx)
{
    if (p->batch == 0)
        return CK_OK;
    TAPSUM_FN const tapsum = SELECT_TAPSUM();
    TAPSUM_ROWS_FN const tapsum_rows = SELECT_TAPSUM_ROWS();
    TAPSUM_SHIFT_FN const tapsum_shift = SELECT_TAPSUM_SHIFT();
    const ck_index C = p->in_channels, K = p->out_channels;
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index I0 = p->in_size[0], I1 = p->in_size[1], I2 = p->in_size[2];
    const ck_index O0 = p->out_size[0], O1 = p->out_size[1], O2 = p->out_size[2];
    const ck_index K0 = p->kernel_size[0], K1 = p->kernel_size[1], K2 = p->kernel_size[2];
    const ck_index s0 = p->stride[0], s1 = p->stride[1], s2 = p->stride[2];
    const ck_index d0 = p->dilation[0], d1 = p->dilation[1], d2 = p->dilation[2];
    const ck_index pb0 = p->pad_before[0], pb1 = p->pad_before[1], pb2 = p->pad_before[2];
    const ck_index KS = K0 + K1 + K2, KMAX = ck_sep_max(K0, ck_sep_max(K1, K2));
    const ck_index in_plane = I1 * I2, out_plane = O1 * O2;

    /* dy row with zero margins: D[L + j] = dy[j]; the W adjoint reads D[L + j] for
     * j in [-L, (I2 - 1 + pb2) / s2] */
    const ck_index L = ck_sep_cdiv((K2 - 1) * d2, s2);
    const ck_index R = ck_sep_max(0, (I2 - 1 + pb2) / s2 - (O2 - 1));
    const ck_index Dlen = L + O2 + R;
    const ck_index Emax = ck_sep_cdiv(I2, s2);
    const ck_index RB = SEP_BWI_ROWS_PER_TASK(p), nrb = ck_sep_cdiv(I1, RB);
    const ck_index Hrows = ck_sep_min(O1, (RB - 1 + (K1 - 1) * d1) / s1 + 1);

    const size_t hbuf_elems = (size_t)(Hrows * I2);
    const size_t qbuf_elems = K0 > 1 ? (size_t)(RB * I2) : 0;
    const size_t row_elems = (size_t)(Dlen + Emax);
    const ck_index ntasks = p->batch * C * nrb;
    int err = 0;

    CK_OMP(parallel num_threads(ck_team(p->num_threads, ntasks)))
    {
        REAL *hbuf = (REAL *)ck_aligned_alloc((hbuf_elems + qbuf_elems + row_elems) * sizeof(REAL));
        const REAL **src = (const REAL **)ck_aligned_alloc((size_t)KMAX * sizeof(const REAL *));
        REAL *coef = (REAL *)ck_aligned_alloc((size_t)KMAX * sizeof(REAL));
        ck_index *r0s = (ck_index *)ck_aligned_alloc((size_t)K0 * sizeof(ck_index));
        REAL *f0s = (REAL *)ck_aligned_alloc((size_t)K0 * sizeof(REAL));
        /* unit H stride and dilation: the axis-1 adjoint as tapsum_rows over reversed taps */
        const int rows_h = s1 == 1 && d1 == 1;
        const REAL **rowp = rows_h ? (const REAL **)ck_aligned_alloc((size_t)(K1 + CK_SEP_NB - 1) * sizeof(const REAL *))
                                   : NULL;
        const int ok = hbuf && src && coef && r0s && f0s && (rowp || !rows_h);
        if (!ok) {
            CK_OMP(atomic write)
            err = 1;
        } else {
            memset(hbuf + hbuf_elems + qbuf_elems, 0, row_elems * sizeof(REAL)); /* D's margins */
        }
        REAL *qbuf = ok ? hbuf + hbuf_elems : NULL;
        REAL *D = ok ? qbuf + qbuf_elems : NULL;
        REAL *E = ok ? D + Dlen : NULL;

        CK_OMP(for schedule(dynamic, 1))
        for (ck_index task = 0; task < ntasks; ++task) {
            if (!ok || ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                continue;
            const ck_index n = task / (C * nrb), c = (task / nrb) % C;
            const ck_index rlo = (task % nrb) * RB, rhi = ck_sep_min(I1, rlo + RB);
            const ck_index g = c / Cg, cc = c % Cg;
            REAL *DX = dx + (n * C + c) * I0 * in_plane;
            for (ck_index r0 = 0; r0 < I0; ++r0)
                memset(DX + r0 * in_plane + rlo * I2, 0, (size_t)((rhi - rlo) * I2) * sizeof(REAL));
            /* dy rows (axis 1) whose taps reach dx rows [rlo, rhi): [ilo, ihi) */
            const ck_index lo_num = rlo + pb1 - (K1 - 1) * d1;
            const ck_index ilo = lo_num <= 0 ? 0 : ck_sep_cdiv(lo_num, s1);
            const ck_index ihi = ck_sep_min(O1, (rhi - 1 + pb1) / s1 + 1);
            if (ihi <= ilo)
                continue;
            for (ck_index kk = 0; kk < Kg; ++kk) {
                const ck_index k = g * Kg + kk;
                const REAL *F = fac + (k * Cg + cc) * KS;
                for (ck_index i0 = 0; i0 < O0; ++i0) {
                    ck_index nd0 = 0; /* dx planes this dy plane reaches, and their factors */
                    for (ck_index t0 = 0; t0 < K0; ++t0) {
                        const ck_index r0 = i0 * s0 + t0 * d0 - pb0;
                        if (r0 < 0 || r0 >= I0)
                            continue;
                        r0s[nd0] = r0;
                        f0s[nd0] = F[t0];
                        ++nd0;
                    }
                    if (nd0 == 0)
                        continue;
                    const REAL *DYp = dy + ((n * K + k) * O0 + i0) * out_plane;
                    SEP_BWI_W_ADJOINT(p, tapsum, tapsum_shift, F, DYp, ilo, ihi, L, D, E, src, coef, hbuf);
                    /* the axis-1 adjoint goes straight into dx (f0 folded in) when one dx plane is
                     * reached, else into qbuf for the axis-0 adjoint */
                    const int direct_to_dx = nd0 == 1;
                    REAL *Qbase = direct_to_dx ? DX + r0s[0] * in_plane + rlo * I2 : qbuf;
                    const REAL scale = direct_to_dx ? f0s[0] : (REAL)1;
                    SEP_BWI_H_ADJOINT(p, tapsum, tapsum_rows, F, scale, hbuf, ilo, ihi, rlo, rhi, src, rowp,
                                      coef, Qbase, direct_to_dx);
                    /* adjoint of axis 0 (a scatter): dx[r0] += f0[t0] Q for each reached plane */
                    if (!direct_to_dx) {
                        const REAL *q = qbuf;
                        for (ck_index u = 0; u < nd0; ++u)
                            tapsum((rhi - rlo) * I2, 1, &q, f0s + u, DX + r0s[u] * in_plane + rlo * I2, 1);
                    }
                }
            }
        }
        ck_aligned_free(hbuf);
        ck_aligned_free((void *)src);
        ck_aligned_free(coef);
        ck_aligned_free(r0s);
        ck_aligned_free(f0s);
        ck_aligned_free((void *)rowp);
    }
    return err ? CK_ERR_NOMEM : CK_OK;
}

/* ---- the standard entry points: factors taken from w (cnnkern/separable.py checked rank 1) ---- */
/* Factors from w, then the factors entry point of the direction (forward: in = x; else in = dy, b unused). */
static ck_status SEP_FROM_W(const ck_conv_params *p, ck_conv_direction dir, const REAL *in, const REAL *w,
                            const REAL *b, REAL *out)
{
    if (p->batch == 0)
        return CK_OK;
    const ck_index KS = p->kernel_size[0] + p->kernel_size[1] + p->kernel_size[2];
    REAL *fac = (REAL *)ck_aligned_alloc((size_t)(p->out_channels * ck_conv_in_per_group(p) * KS) * sizeof(REAL));
    if (!fac)
        return CK_ERR_NOMEM;
    PACK_FACTORS(p, w, fac);
    const ck_status st = dir == CK_CONV_FWD ? SEP_FWD_FACTORS(p, in, fac, b, out) : SEP_BWI_FACTORS(p, in, fac, out);
    ck_aligned_free(fac);
    return st;
}

CK_CONV_FWD_BWI_VIA(SEP_FROM_W, SEP_FWD, SEP_BWI, REAL)

/* The weight gradient of a rank-1 kernel is in general not rank 1: no separable shortcut. */
ck_status SEP_BWW(const ck_conv_params *p, const REAL *dy, const REAL *x, REAL *dw)
{
    (void)p;
    (void)dy;
    (void)x;
    (void)dw;
    return CK_ERR_UNSUPPORTED;
}

#undef REAL
#undef TAPSUM_FN
#undef TAPSUM_ROWS_FN
#undef TAPSUM_SHIFT_FN
#undef TAPSUM_SHIFT_ROWS_FN
#undef SELECT_TAPSUM_SHIFT_ROWS
#undef SELECT_TAPSUM_SHIFT
#undef SELECT_TAPSUM_ROWS
#undef SELECT_TAPSUM
#undef PACK_FACTORS
#undef ABSMAX
#undef RESID_ROW
#undef SEP_FACTORIZE
#undef SEP_FWD_FACTORS
#undef SEP_FWD_CTX
#undef SEP_W_PASS
#undef SEP_FWD_PLAN
#undef SEP_FWD_FLAT
#undef SEP_FWD_ROWS_FIRST
#undef SEP_FWD_COLS_FIRST
#undef SEP_BWI_FACTORS
#undef SEP_BWI_W_ADJOINT
#undef SEP_BWI_H_ADJOINT
#undef SEP_BWI_ROWS_PER_TASK
#undef SEP_FROM_W
#undef SEP_FWD
#undef SEP_BWI
#undef SEP_BWW
