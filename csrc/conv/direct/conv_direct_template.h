/*
 * conv_direct_template.h -- the direct operator for one real type (contract and design: conv_direct.c).
 *
 * Included by conv_direct.c with REAL, KTAB, SELECT_KERNELS, PACK_ROW, CONV_FWD_DIRECT_IMPL and the
 * three entry-point names #defined. Index arithmetic is 64-bit (ck_index) throughout.
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
    } else {
        for (ck_index j = jlo; j < jhi; ++j)
            dst[j] = src[j * s + off];
    }
    for (ck_index j = jhi; j < J; ++j)
        dst[j] = 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* forward: y = conv(x, w) + b                                                                       */
/* ------------------------------------------------------------------------------------------------ */
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
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    /* one-channel tiles when a group has fewer than OCB/2 output channels (depthwise) */
    const int use1 = 2 * Kg <= kt->ocb;
    const ck_index L = kt->lanes, OCB = use1 ? 1 : kt->ocb, NVM = use1 ? kt->nv1_max : kt->nv_max;
    const ck_index C = p->in_channels, K = p->out_channels, N = p->batch;
    const ck_index KD = p->kernel_size[0], KH = p->kernel_size[1], KW = p->kernel_size[2];
    const ck_index KV = KD * KH * KW;
    const ck_index ID = p->in_size[0], IH = p->in_size[1], IW = p->in_size[2];
    const ck_index OD = p->out_size[0], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index sh = p->stride[1], pbh = p->pad_before[1];
    const ck_index in_plane = ck_conv_in_plane(p);
    const ck_index nkb = ck_direct_cdiv(Kg, OCB);
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;

    ck_index *geo = (ck_index *)ck_aligned_alloc((size_t)(3 * KW + 3 * KH) * sizeof(ck_index));
    REAL *wp = (REAL *)ck_aligned_alloc((size_t)(G * nkb * Cg * KV * OCB) * sizeof(REAL));
    if (!geo || !wp) {
        ck_aligned_free(geo);
        ck_aligned_free(wp);
        return CK_ERR_NOMEM;
    }
    ck_index *kx_slot = geo, *kx_shift = geo + KW, *wslot_phase = geo + 2 * KW;
    ck_index *ky_slot = geo + 3 * KW, *ky_shift = geo + 3 * KW + KH, *hslot_phase = geo + 3 * KW + 2 * KH;
    const ck_index NS = ck_direct_axis_slots(p, 2, kx_slot, kx_shift, wslot_phase);
    const ck_index NHS = ck_direct_axis_slots(p, 1, ky_slot, ky_shift, hslot_phase);
    const ck_index J = OW + ((KW - 1) * p->dilation[2]) / p->stride[2]; /* packed row length */
    const ck_index maxA = ((KH - 1) * p->dilation[1]) / sh;              /* largest H shift */

    /* Output rows per task: about 256 flattened columns (4096 for one-channel tiles, whose tasks are
     * cheap), packed input <= 512 KiB, >= 4 tasks per thread. RH changes no sum (every tap is
     * applied to every output), only the speed. */
    ck_index RH = ck_direct_min(OH, ck_direct_cdiv(use1 ? 4096 : 256, J));
    while (RH > 1 && (size_t)(Cg * KD * NS * NHS * (RH + maxA) * J) * sizeof(REAL) > ((size_t)512 << 10))
        --RH;
    while (RH > 1 && N * OD * ck_direct_cdiv(OH, RH) < 4 * nt)
        --RH;
    RH = ck_direct_cdiv(OH, ck_direct_cdiv(OH, RH)); /* same number of blocks, balanced sizes */
    const ck_index nhb = ck_direct_cdiv(OH, RH), NR = RH + maxA, slab = NR * J;

    /* wp[g][kb][c][t][j] = w[g*Kg + kb*OCB + j][c][t], zero for channels past Kg */
    for (ck_index g = 0; g < G; ++g)
        for (ck_index kb = 0; kb < nkb; ++kb)
            for (ck_index c = 0; c < Cg; ++c)
                for (ck_index t = 0; t < KV; ++t)
                    for (ck_index j = 0; j < OCB; ++j) {
                        const ck_index k = kb * OCB + j;
                        wp[(((g * nkb + kb) * Cg + c) * KV + t) * OCB + j] =
                            k < Kg ? w[((g * Kg + k) * Cg + c) * KV + t] : (REAL)0;
                    }

    const ck_index ntasks = N * OD * nhb;
    const size_t buf_elems = (size_t)(Cg * KD * NS * NHS * slab + L);
    const size_t out_elems = (size_t)(OCB * NVM * L);
    const size_t idx_elems = (size_t)(2 * KV + 2 * KD);
    int err = 0;

#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(ck_team(p->num_threads, ntasks))
#endif
    {
        REAL *buf = (REAL *)ck_aligned_alloc(buf_elems * sizeof(REAL));
        REAL *out = (REAL *)ck_aligned_alloc(out_elems * sizeof(REAL));
        ck_index *idx = (ck_index *)ck_aligned_alloc(idx_elems * sizeof(ck_index));
        const int ok = buf && out && idx;
        if (!ok) {
#if CK_BUILD_OPENMP
#pragma omp atomic write
#endif
            err = 1;
        } else {
            /* columns past a row's end read neighbouring packed values; keep them all finite */
            memset(buf, 0, buf_elems * sizeof(REAL));
        }
        ck_index *xoff = idx, *woff = idx + KV, *rd_src = idx + 2 * KV, *rd_w = idx + 2 * KV + KD;

#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (ck_index task = 0; task < ntasks; ++task) {
            if (!ok || ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                continue;
            const ck_index n = task / (OD * nhb), od = (task / nhb) % OD, oh0 = (task % nhb) * RH;
            const ck_index RHa = ck_direct_min(RH, OH - oh0);
            /* kd taps inside the input (the same for every row of the task) */
            ck_index nrd = 0;
            for (ck_index kd = 0; kd < KD; ++kd) {
                const ck_index id = od * p->stride[0] + kd * p->dilation[0] - p->pad_before[0];
                if (id < 0 || id >= ID)
                    continue;
                rd_src[nrd] = id * IH * IW;
                rd_w[nrd] = kd * KH * KW;
                ++nrd;
            }
            /* packed layout per input channel: [kd valid][W slot][H slot][NR rows][J];
             * output row r, column ox of tap (kd, kh, kw) reads (r + ky_shift)*J + ox + kx_shift */
            ck_index ntap = 0;
            for (ck_index r = 0; r < nrd; ++r)
                for (ck_index kh = 0; kh < KH; ++kh)
                    for (ck_index kx = 0; kx < KW; ++kx) {
                        xoff[ntap] = (((r * NS + kx_slot[kx]) * NHS + ky_slot[kh]) * NR + ky_shift[kh]) * J +
                                     kx_shift[kx];
                        woff[ntap] = (rd_w[r] + kh * KW + kx) * OCB;
                        ++ntap;
                    }
            const ck_index ics = nrd * NS * NHS * slab;
            const ck_index nrows = RHa + maxA;        /* packed rows per (kd, W slot, H slot) */
            const ck_index ncol_tot = (RHa - 1) * J + OW; /* flattened output columns */

            for (ck_index g = 0; g < G; ++g) {
                for (ck_index c = 0; c < Cg && nrd > 0; ++c) {
                    const REAL *xc = x + (n * C + g * Cg + c) * in_plane;
                    for (ck_index r = 0; r < nrd; ++r)
                        for (ck_index ws = 0; ws < NS; ++ws)
                            for (ck_index hs = 0; hs < NHS; ++hs)
                                for (ck_index i = 0; i < nrows; ++i) {
                                    const ck_index ih = (oh0 + i) * sh + hslot_phase[hs] - pbh;
                                    REAL *dst = buf + c * ics + (((r * NS + ws) * NHS + hs) * NR + i) * J;
                                    if (ih >= 0 && ih < IH)
                                        PACK_ROW(dst, J, xc + rd_src[r] + ih * IW, IW, p->stride[2],
                                                 wslot_phase[ws] - p->pad_before[2]);
                                    else
                                        memset(dst, 0, (size_t)J * sizeof(REAL));
                                }
                }
                for (ck_index kb = 0; kb < nkb; ++kb) {
                    const ck_index nk = ck_direct_min(OCB, Kg - kb * OCB);
                    const REAL *wpk = wp + (g * nkb + kb) * Cg * KV * OCB;
                    for (ck_index col0 = 0; col0 < ncol_tot;) {
                        const ck_index nv = ck_direct_pick_nv(ck_direct_cdiv(ncol_tot - col0, L), NVM);
                        const ck_index ncols = ck_direct_min(nv * L, ncol_tot - col0);
                        (use1 ? kt->fwd1 : kt->fwd)(Cg, ntap, buf + col0, ics, xoff, wpk, KV * OCB, woff,
                                                    (int)nv, out);
                        const ck_index r0 = col0 / J, ox0 = col0 - r0 * J; /* one division per tile */
                        for (ck_index j = 0; j < nk; ++j) {
                            const ck_index k = g * Kg + kb * OCB + j;
                            const REAL bias = b ? b[k] : (REAL)0;
                            REAL *yk = y + ((n * K + k) * OD + od) * OH * OW;
                            const REAL *src = out + j * nv * L - col0;
                            /* flattened column q = r*J + ox; columns with ox >= OW are discarded */
                            ck_index r = r0, ox = ox0;
                            for (ck_index q = col0; q < col0 + ncols;) {
                                if (ox >= OW) {
                                    q += J - ox;
                                    ++r;
                                    ox = 0;
                                    continue;
                                }
                                const ck_index cnt = ck_direct_min(col0 + ncols - q, OW - ox);
                                REAL *dst = yk + (oh0 + r) * OW + ox;
                                for (ck_index e = 0; e < cnt; ++e)
                                    dst[e] = src[q + e] + bias;
                                q += cnt;
                                ox += cnt;
                            }
                        }
                        col0 += ncols;
                    }
                }
            }
        }
        ck_aligned_free(buf);
        ck_aligned_free(out);
        ck_aligned_free(idx);
    }
    ck_aligned_free(geo);
    ck_aligned_free(wp);
    return err ? CK_ERR_NOMEM : CK_OK;
}

ck_status CONV_FWD_DIRECT(const ck_conv_params *p, const REAL *x, const REAL *w, const REAL *b, REAL *y)
{
    assert(ck_direct_params_ok(p));
    return CONV_FWD_DIRECT_IMPL(p, x, w, b, y);
}

/* ------------------------------------------------------------------------------------------------ */
/* backward-input: dx = conv_transpose(dy, w), phase-decomposed along W                              */
/* ------------------------------------------------------------------------------------------------ */
ck_status CONV_BWD_INPUT_DIRECT(const ck_conv_params *p, const REAL *dy, const REAL *w, REAL *dx)
{
    assert(ck_direct_params_ok(p));
    if (p->batch == 0)
        return CK_OK;
    if (p->stride[0] == 1 && p->stride[1] == 1 && p->stride[2] == 1) {
        /* Unit stride: dx = forward correlation of dy with the kernel flipped on every axis and the
         * channels swapped per group, padding d*(k-1) - pad_before (negative: cropping). */
        const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
        const ck_index KV = ck_conv_kernel_volume(p);
        ck_conv_params q = *p;
        q.in_channels = p->out_channels;
        q.out_channels = p->in_channels;
        for (int a = 0; a < CK_MAX_SPATIAL; ++a) {
            q.in_size[a] = p->out_size[a];
            q.out_size[a] = p->in_size[a];
            q.pad_before[a] = p->dilation[a] * (p->kernel_size[a] - 1) - p->pad_before[a];
            q.pad_after[a] = p->dilation[a] * (p->kernel_size[a] - 1) - p->pad_after[a];
        }
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
    const KTAB *kt = SELECT_KERNELS();
    const ck_index G = p->groups, Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    /* here the input channels are the tile's channels: one-channel tiles when Cg < OCB/2 */
    const int use1 = 2 * Cg <= kt->ocb;
    const ck_index L = kt->lanes, OCB = use1 ? 1 : kt->ocb, NVM = use1 ? kt->nv1_max : kt->nv_max;
    const ck_index C = p->in_channels, K = p->out_channels, N = p->batch;
    const ck_index KD = p->kernel_size[0], KH = p->kernel_size[1], KW = p->kernel_size[2];
    const ck_index KV = KD * KH * KW, KDH = KD * KH;
    const ck_index ID = p->in_size[0], IH = p->in_size[1], IW = p->in_size[2];
    const ck_index OD = p->out_size[0], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index out_plane = ck_conv_out_plane(p);
    const ck_index sw = p->stride[2], dw = p->dilation[2], pbw = p->pad_before[2];
    const ck_index ncb = ck_direct_cdiv(Cg, OCB);
    const ck_index nph = ck_direct_min(sw, IW); /* W phases of dx columns */

    /* per phase a: taps kx with (a + pbw - kx*dw) % sw == 0, dy offset (a + pbw - kx*dw) / sw */
    ck_index *pgeo = (ck_index *)ck_aligned_alloc((size_t)(nph + 2 * nph * KW) * sizeof(ck_index));
    REAL *wt = (REAL *)ck_aligned_alloc((size_t)(G * ncb * Kg * KV * OCB) * sizeof(REAL));
    if (!pgeo || !wt) {
        ck_aligned_free(pgeo);
        ck_aligned_free(wt);
        return CK_ERR_NOMEM;
    }
    ck_index *ph_n = pgeo, *ph_kx = pgeo + nph, *ph_off = pgeo + nph + nph * KW;
    ck_index minoff = 0, maxoff = 0;
    int any = 0;
    for (ck_index a = 0; a < nph; ++a) {
        ph_n[a] = 0;
        for (ck_index kx = 0; kx < KW; ++kx) {
            const ck_index num = a + pbw - kx * dw;
            if (ck_direct_fmod(num, sw) != 0)
                continue;
            const ck_index off = num / sw;
            ph_kx[a * KW + ph_n[a]] = kx;
            ph_off[a * KW + ph_n[a]] = off;
            ++ph_n[a];
            if (!any || off < minoff)
                minoff = off;
            if (!any || off > maxoff)
                maxoff = off;
            any = 1;
        }
    }
    const ck_index colpad = ck_direct_cdiv(ck_direct_cdiv(IW, sw), L) * L;
    const ck_index J = colpad + (maxoff - minoff);

    /* wt[g][cb][k][t][j] = w[g*Kg + k][cb*OCB + j][t], zero for channels past Cg */
    for (ck_index g = 0; g < G; ++g)
        for (ck_index cb = 0; cb < ncb; ++cb)
            for (ck_index k = 0; k < Kg; ++k)
                for (ck_index t = 0; t < KV; ++t)
                    for (ck_index j = 0; j < OCB; ++j) {
                        const ck_index c = cb * OCB + j;
                        wt[(((g * ncb + cb) * Kg + k) * KV + t) * OCB + j] =
                            c < Cg ? w[((g * Kg + k) * Cg + c) * KV + t] : (REAL)0;
                    }

    const ck_index ntasks = N * ID * IH;
    const size_t buf_elems = (size_t)(Kg * KDH * J);
    const size_t out_elems = (size_t)(OCB * NVM * L);
    const size_t idx_elems = (size_t)(2 * KV + 2 * KDH);
    int err = 0;

#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(ck_team(p->num_threads, ntasks))
#endif
    {
        REAL *buf = (REAL *)ck_aligned_alloc(buf_elems * sizeof(REAL));
        REAL *out = (REAL *)ck_aligned_alloc(out_elems * sizeof(REAL));
        ck_index *idx = (ck_index *)ck_aligned_alloc(idx_elems * sizeof(ck_index));
        const int ok = buf && out && idx;
        if (!ok) {
#if CK_BUILD_OPENMP
#pragma omp atomic write
#endif
            err = 1;
        }
        ck_index *xoff = idx, *woff = idx + KV, *row_src = idx + 2 * KV, *row_w = idx + 2 * KV + KDH;

#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (ck_index task = 0; task < ntasks; ++task) {
            if (!ok || ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                continue;
            const ck_index n = task / (ID * IH), id = (task / IH) % ID, ih = task % IH;
            /* (kd, kh) taps that hit an output row: (i + pb - t*d) = o*s with 0 <= o < O */
            ck_index nrho = 0;
            for (ck_index kd = 0; kd < KD; ++kd) {
                const ck_index rd = id + p->pad_before[0] - kd * p->dilation[0];
                if (rd < 0 || rd % p->stride[0] != 0 || rd / p->stride[0] >= OD)
                    continue;
                const ck_index od = rd / p->stride[0];
                for (ck_index kh = 0; kh < KH; ++kh) {
                    const ck_index rh = ih + p->pad_before[1] - kh * p->dilation[1];
                    if (rh < 0 || rh % p->stride[1] != 0 || rh / p->stride[1] >= OH)
                        continue;
                    const ck_index oh = rh / p->stride[1];
                    row_src[nrho] = (od * OH + oh) * OW;
                    row_w[nrho] = (kd * KH + kh) * KW;
                    ++nrho;
                }
            }

            for (ck_index g = 0; g < G; ++g) {
                for (ck_index k = 0; k < Kg && nrho > 0; ++k) {
                    const REAL *dyk = dy + (n * K + g * Kg + k) * out_plane;
                    for (ck_index r = 0; r < nrho; ++r)
                        PACK_ROW(buf + (k * nrho + r) * J, J, dyk + row_src[r], OW, 1, minoff);
                }
                for (ck_index a = 0; a < nph; ++a) {
                    const ck_index Ma = ck_direct_cdiv(IW - a, sw);
                    ck_index ntap = 0;
                    for (ck_index r = 0; r < nrho; ++r)
                        for (ck_index i = 0; i < ph_n[a]; ++i) {
                            xoff[ntap] = r * J + ph_off[a * KW + i] - minoff;
                            woff[ntap] = (row_w[r] + ph_kx[a * KW + i]) * OCB;
                            ++ntap;
                        }
                    for (ck_index cb = 0; cb < ncb; ++cb) {
                        const ck_index nk = ck_direct_min(OCB, Cg - cb * OCB);
                        const REAL *wtk = wt + (g * ncb + cb) * Kg * KV * OCB;
                        for (ck_index m0 = 0; m0 < Ma;) {
                            const ck_index nv = ck_direct_pick_nv(ck_direct_cdiv(Ma - m0, L), NVM);
                            const ck_index ncols = ck_direct_min(nv * L, Ma - m0);
                            (use1 ? kt->fwd1 : kt->fwd)(Kg, ntap, buf + m0, nrho * J, xoff, wtk, KV * OCB,
                                                        woff, (int)nv, out);
                            for (ck_index j = 0; j < nk; ++j) {
                                const ck_index c = g * Cg + cb * OCB + j;
                                REAL *dst = dx + (((n * C + c) * ID + id) * IH + ih) * IW + a + m0 * sw;
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
        ck_aligned_free(buf);
        ck_aligned_free(out);
        ck_aligned_free(idx);
    }
    ck_aligned_free(pgeo);
    ck_aligned_free(wt);
    return err ? CK_ERR_NOMEM : CK_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* backward-weight: dw[k][c][t] = sum_{n, o} dy[n][k][o] * x[n][c][o*s + t*d - pb]                   */
/* ------------------------------------------------------------------------------------------------ */
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
    const ck_index C = p->in_channels, K = p->out_channels, N = p->batch;
    const ck_index KD = p->kernel_size[0], KH = p->kernel_size[1], KW = p->kernel_size[2];
    const ck_index KV = KD * KH * KW;
    const ck_index ID = p->in_size[0], IH = p->in_size[1], IW = p->in_size[2];
    const ck_index OD = p->out_size[0], OH = p->out_size[1], OW = p->out_size[2];
    const ck_index sh = p->stride[1], pbh = p->pad_before[1];
    const ck_index in_plane = ck_conv_in_plane(p), out_plane = ck_conv_out_plane(p);
    const ck_index nt = p->num_threads > 0 ? p->num_threads : 1;

    ck_index *geo = (ck_index *)ck_aligned_alloc((size_t)(3 * KW + 3 * KH) * sizeof(ck_index));
    if (!geo)
        return CK_ERR_NOMEM;
    ck_index *kx_slot = geo, *kx_shift = geo + KW, *wslot_phase = geo + 2 * KW;
    ck_index *ky_slot = geo + 3 * KW, *ky_shift = geo + 3 * KW + KH, *hslot_phase = geo + 3 * KW + 2 * KH;
    const ck_index NS = ck_direct_axis_slots(p, 2, kx_slot, kx_shift, wslot_phase);
    const ck_index NHS = ck_direct_axis_slots(p, 1, ky_slot, ky_shift, hslot_phase);
    const ck_index J = OW + ((KW - 1) * p->dilation[2]) / p->stride[2];
    const ck_index maxA = ((KH - 1) * p->dilation[1]) / sh;

    /* Output rows per block (the same packed geometry as forward): about 512 flattened columns
     * (2048 with one-channel tiles), packed input <= 256 KiB. It depends on the problem only: each
     * block's dot products are one float sum, so RH must not change with the thread count. */
    ck_index RH = ck_direct_min(OH, ck_direct_cdiv(use1 ? 2048 : 512, J));
    while (RH > 1 && (size_t)(Cg * KD * NS * NHS * (RH + maxA) * J) * sizeof(REAL) > ((size_t)256 << 10))
        --RH;
    RH = ck_direct_cdiv(OH, ck_direct_cdiv(OH, RH)); /* same number of blocks, balanced sizes */
    const ck_index nhb = ck_direct_cdiv(OH, RH), NR = RH + maxA, slab = NR * J;
    const ck_index NB = N * OD * nhb;                              /* row blocks */
    const ck_index ncolmax = ck_direct_cdiv((RH - 1) * J + OW, L) * L; /* dot length of a full block */

    /* work split: (block chunk, group, channel block of KC) items; see the file comment */
    ck_index KC = ck_direct_cdiv(Kg, BK) * BK, nkc = 1;
    if (G < nt) {
        nkc = ck_direct_min(ck_direct_cdiv(Kg, BK), ck_direct_cdiv(nt, G));
        KC = ck_direct_cdiv(ck_direct_cdiv(Kg, nkc), BK) * BK;
        nkc = ck_direct_cdiv(Kg, KC);
    }
    /* Block chunks change the order of the float sums, so their number depends on the problem only
     * (never on nt): results are bitwise identical for any thread count. */
    const ck_index units = G * ck_direct_cdiv(Kg, BK);
    const ck_index nrc_target = 8;
    ck_index nrc = 1;
    if (units < nrc_target)
        nrc = ck_direct_min(NB, ck_direct_cdiv(nrc_target, units));
    const ck_index bcs = ck_direct_cdiv(NB, nrc);
    nrc = ck_direct_cdiv(NB, bcs);

    const ck_index dwsz = K * Cg * KV;
    REAL *partial = NULL;
    if (nrc > 1) {
        partial = (REAL *)ck_aligned_alloc((size_t)(nrc * dwsz) * sizeof(REAL));
        if (!partial) {
            ck_aligned_free(geo);
            return CK_ERR_NOMEM;
        }
    }
    const ck_index nitems = nrc * G * nkc;
    const size_t xbuf_elems = (size_t)(Cg * KD * NS * NHS * slab + L);
    const size_t dbuf_elems = (size_t)(KC * ncolmax);
    const size_t idx_elems = (size_t)(2 * Cg * KV + 2 * KD);
    int err = 0;

#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(ck_team(p->num_threads, nitems))
#endif
    {
        REAL *xb = (REAL *)ck_aligned_alloc(xbuf_elems * sizeof(REAL));
        REAL *db = (REAL *)ck_aligned_alloc(dbuf_elems * sizeof(REAL));
        ck_index *idx = (ck_index *)ck_aligned_alloc(idx_elems * sizeof(ck_index));
        const int ok = xb && db && idx;
        if (!ok) {
#if CK_BUILD_OPENMP
#pragma omp atomic write
#endif
            err = 1;
        } else {
            /* columns past a row's end read neighbouring packed values (times a zero dy): keep them finite */
            memset(xb, 0, xbuf_elems * sizeof(REAL));
        }
        ck_index *ct_x = idx, *ct_w = idx + Cg * KV, *rd_src = idx + 2 * Cg * KV, *rd_kd = rd_src + KD;
        const REAL *xr[CK_DIRECT_MAX_BT];
        REAL res[CK_DIRECT_MAX_BK * CK_DIRECT_MAX_BT];

#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
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
                const ck_index nrows = RHa + maxA;
                const ck_index ncol = ck_direct_cdiv((RHa - 1) * J + OW, L) * L;
                ck_index nrd = 0;
                for (ck_index kd = 0; kd < KD; ++kd) {
                    const ck_index id = od * p->stride[0] + kd * p->dilation[0] - p->pad_before[0];
                    if (id < 0 || id >= ID)
                        continue;
                    rd_src[nrd] = id * IH * IW;
                    rd_kd[nrd] = kd;
                    ++nrd;
                }
                if (nrd == 0)
                    continue; /* every tap of this block reads padding */
                const ck_index ics = nrd * NS * NHS * slab;
                /* x: [c][kd valid][W slot][H slot][NR][J], as in forward */
                for (ck_index c = 0; c < Cg; ++c) {
                    const REAL *xc = x + (n * C + g * Cg + c) * in_plane;
                    for (ck_index r = 0; r < nrd; ++r)
                        for (ck_index ws = 0; ws < NS; ++ws)
                            for (ck_index hs = 0; hs < NHS; ++hs)
                                for (ck_index i = 0; i < nrows; ++i) {
                                    const ck_index ih = (oh0 + i) * sh + hslot_phase[hs] - pbh;
                                    REAL *dst = xb + c * ics + (((r * NS + ws) * NHS + hs) * NR + i) * J;
                                    if (ih >= 0 && ih < IH)
                                        PACK_ROW(dst, J, xc + rd_src[r] + ih * IW, IW, p->stride[2],
                                                 wslot_phase[ws] - p->pad_before[2]);
                                    else
                                        memset(dst, 0, (size_t)J * sizeof(REAL));
                                }
                }
                /* dy: [k][ncol], row r of the block at r*J, zeros between rows and after */
                for (ck_index kk = 0; kk < nkpad; ++kk) {
                    REAL *dst = db + kk * ncolmax;
                    memset(dst, 0, (size_t)ncol * sizeof(REAL));
                    if (kk < nkk) {
                        const REAL *src = dy + (n * K + g * Kg + k0 + kk) * out_plane + (od * OH + oh0) * OW;
                        for (ck_index r = 0; r < RHa; ++r)
                            memcpy(dst + r * J, src + r * OW, (size_t)OW * sizeof(REAL));
                    }
                }
                /* (c, tap) list over the valid kd taps */
                ck_index nct = 0;
                for (ck_index c = 0; c < Cg; ++c)
                    for (ck_index r = 0; r < nrd; ++r)
                        for (ck_index kh = 0; kh < KH; ++kh)
                            for (ck_index kx = 0; kx < KW; ++kx) {
                                ct_x[nct] = c * ics +
                                            (((r * NS + kx_slot[kx]) * NHS + ky_slot[kh]) * NR + ky_shift[kh]) * J +
                                            kx_shift[kx];
                                ct_w[nct] = c * KV + (rd_kd[r] * KH + kh) * KW + kx;
                                ++nct;
                            }
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
        }
        ck_aligned_free(xb);
        ck_aligned_free(db);
        ck_aligned_free(idx);

        if (nrc > 1) {
            /* ordered sum of the block-chunk partials (implicit barrier after the loop above) */
            int failed;
#if CK_BUILD_OPENMP
#pragma omp atomic read
#endif
            failed = err;
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
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
    ck_aligned_free(geo);
    return err ? CK_ERR_NOMEM : CK_OK;
}
