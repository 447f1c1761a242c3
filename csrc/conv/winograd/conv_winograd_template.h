/*
 * conv_winograd_template.h -- the "winograd" operator for one dtype (contract: conv_winograd.c).
 * Included twice by conv_winograd.c with T, SFX(name), KSFX(name, isa), LANES_AVX2, LANES_AVX512, GEMM.
 */

typedef struct SFX(wino_transforms) {
    void (*input)(CK_WINO_INPUT_ARGS(T));
    void (*output)(CK_WINO_OUTPUT_ARGS(T));
    void (*weight)(CK_WINO_WEIGHT_ARGS(T));
    void (*grad_output)(CK_WINO_GRAD_OUTPUT_ARGS(T));
    void (*grad_weight)(CK_WINO_GRAD_WEIGHT_ARGS(T));
} SFX(wino_transforms);

/* The variant's transforms: the ISA's on whole vectors of channels (lanes), the portable ones
 * (tail) on the rest. */
typedef struct SFX(wino_kernels) {
    SFX(wino_transforms) vec, tail;
    ck_index lanes;
} SFX(wino_kernels);

#define WINO_TRANSFORMS(isa, r)                                                                      \
    ((r) == 5 ? (SFX(wino_transforms)){KSFX(ck_wino_input, isa), KSFX(ck_wino_output_2x2, isa),       \
                                       KSFX(ck_wino_weight_5x5, isa), KSFX(ck_wino_grad_output_2x2, isa), \
                                       KSFX(ck_wino_grad_weight_5x5, isa)}                            \
              : (SFX(wino_transforms)){KSFX(ck_wino_input, isa), KSFX(ck_wino_output, isa),           \
                                       KSFX(ck_wino_weight, isa), KSFX(ck_wino_grad_output, isa),     \
                                       KSFX(ck_wino_grad_weight, isa)})

/* The kernels for an r x r kernel (3 or 5) on this CPU's ISA. */
static SFX(wino_kernels) SFX(wino_pick)(ck_index r)
{
    SFX(wino_kernels) k;
    k.tail = WINO_TRANSFORMS(generic, r);
    k.vec = k.tail;
    k.lanes = 1;
#if CK_WINO_X86
    const ck_isa isa = ck_cpu_isa();
    if (isa >= CK_ISA_AVX512) {
        k.vec = WINO_TRANSFORMS(avx512, r);
        k.lanes = LANES_AVX512;
    } else if (isa >= CK_ISA_AVX2) {
        k.vec = WINO_TRANSFORMS(avx2, r);
        k.lanes = LANES_AVX2;
    }
#endif
    return k;
}
#undef WINO_TRANSFORMS

/* U[e][r][q] (row length kn) of one block of kn columns, all rows: the vector kernel on whole
 * vectors of columns, the portable one on the rest. */
static void SFX(wino_weight_block)(const SFX(wino_kernels) *kern, const T *wk, ck_index sr, ck_index sq, int rot,
                                   ck_index rows, ck_index kn, ck_index ldu, T *Ub)
{
    const ck_index knv = kn / kern->lanes * kern->lanes;
    if (knv > 0) /* all the block's vectors per row: each 64-byte line of Ub is written at once */
        kern->vec.weight(wk, sr, sq, rot, 0, rows, 0, knv, kn, ldu, Ub);
    if (knv < kn)
        kern->tail.weight(wk, sr, sq, rot, 0, rows, knv, kn, kn, ldu, Ub);
}

ck_status SFX(ck_conv_winograd_transform_weight)(const ck_conv_params *p, ck_conv_direction dir, const T *w, T *U)
{
    if (!ck_conv_winograd_supports(p) || dir == CK_CONV_BWD_WEIGHT)
        return CK_ERR_UNSUPPORTED;
    const ck_index taps = p->kernel_size[1] * p->kernel_size[2];
    const SFX(wino_kernels) kern = SFX(wino_pick)(p->kernel_size[1]);
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p), G = p->groups;
    const int fwd = dir == CK_CONV_FWD;
    const ck_index rows = fwd ? Cg : Kg, cols = fwd ? Kg : Cg;
    const ck_index sr = fwd ? taps : Cg * taps, sq = fwd ? Cg * taps : taps;
    {
        wino_job jk;
        make_job(p, dir, sizeof(T), 0, &jk);
        if (jk.kb > 0) {
            /* the blocked run's layout: per group, per block of kb columns, U[e][row][column of
             * the block] (what a plain blocked call transforms per block, so plan and plain
             * calls give the same bits) */
            const ck_index kb = jk.kb, nkb = (cols + kb - 1) / kb, items = G * nkb;
#if CK_BUILD_OPENMP
#pragma omp parallel for schedule(static) num_threads(p->num_threads) if (p->num_threads > 1 && items > 1)
#endif
            for (ck_index it = 0; it < items; ++it) {
                const ck_index g = it / nkb, k0 = (it % nkb) * kb, kn = cols - k0 < kb ? cols - k0 : kb;
                SFX(wino_weight_block)(&kern, w + g * Kg * Cg * taps + k0 * sq, sr, sq, !fwd, rows, kn, rows * kn,
                                       U + g * 36 * Cg * Kg + 36 * rows * k0);
            }
            return CK_OK;
        }
    }
    const ck_index lde = Cg * Kg, lanes = kern.lanes, qblocks = (cols + lanes - 1) / lanes;
    const ck_index items = G * qblocks;
    /* a small U (e.g. 64 x 64 channels: 0.1 ms on one thread) is not worth a fork/join */
    const int big = (size_t)36 * (size_t)G * (size_t)Cg * (size_t)Kg * sizeof(T) > ((size_t)1 << 20);
    (void)items;
    (void)big;
    /* one item = one vector of columns for every row: each kernel's taps are read in order along
     * the rows (streams through w instead of a stride of C_in/g * taps elements per column) */
#if CK_BUILD_OPENMP
#pragma omp parallel for schedule(static) num_threads(p->num_threads) if (p->num_threads > 1 && items > 1 && big)
#endif
    for (ck_index it = 0; it < G * qblocks; ++it) {
        const ck_index g = it / qblocks, q0 = (it % qblocks) * lanes;
        const T *wg = w + g * Kg * Cg * taps;
        T *Ug = U + g * 36 * lde;
        if (q0 + lanes <= cols)
            kern.vec.weight(wg, sr, sq, !fwd, 0, rows, q0, q0 + lanes, cols, lde, Ug);
        else
            kern.tail.weight(wg, sr, sq, !fwd, 0, rows, q0, cols, cols, lde, Ug);
    }
    return CK_OK;
}

/* The tile transforms over all channels of tg (cs for the input, ks for the outputs): the vector kernel
 * on whole vectors of channels, the portable one on the rest. */
static void SFX(wino_input_all)(const SFX(wino_kernels) *kern, const ck_wino_tiles *tg, const T *xp, ck_index t0,
                                ck_index nt, T *V, ck_index ldv)
{
    const ck_index cs = tg->cs, csv = cs / kern->lanes * kern->lanes;
    if (csv > 0)
        kern->vec.input(tg, xp, t0, nt, 0, csv, V, ldv);
    if (csv < cs)
        kern->tail.input(tg, xp, t0, nt, csv, cs, V, ldv);
}

static void SFX(wino_output_all)(const SFX(wino_kernels) *kern, const ck_wino_tiles *tg, const T *M, ck_index ldm,
                                 ck_index t0, ck_index nt, const T *bias, T *y, ck_index y_img)
{
    const ck_index ks = tg->ks, ksv = ks / kern->lanes * kern->lanes;
    if (ksv > 0)
        kern->vec.output(tg, M, ldm, t0, nt, 0, ksv, bias, y, y_img);
    if (ksv < ks)
        kern->tail.output(tg, M, ldm, t0, nt, ksv, ks, bias, y, y_img);
}

static void SFX(wino_grad_output_all)(const SFX(wino_kernels) *kern, const ck_wino_tiles *tg, const T *dyp,
                                      ck_index t0, ck_index nt, T *Y, ck_index ldy)
{
    const ck_index ks = tg->ks, ksv = ks / kern->lanes * kern->lanes;
    if (ksv > 0)
        kern->vec.grad_output(tg, dyp, t0, nt, 0, ksv, Y, ldy);
    if (ksv < ks)
        kern->tail.grad_output(tg, dyp, t0, nt, ksv, ks, Y, ldy);
}

/* One row of xp: image nl of the chunk, padded row pr, all channels of group g. */
static void SFX(wino_pack_row)(const wino_job *j, const T *in, ck_index n, ck_index g, ck_index pr, T *xp_row)
{
    const ck_index cs = j->tg.cs, wp = j->tg.wp;
    const ck_index ir = pr - j->off_h;
    if (ir < 0 || ir >= j->ih) {
        memset(xp_row, 0, (size_t)(wp * cs) * sizeof(T));
        return;
    }
    ck_index lo = j->off_w, hi = j->off_w + j->iw; /* ps range that maps inside the input row */
    if (lo < 0)
        lo = 0;
    if (hi > wp)
        hi = wp;
    if (hi < lo)
        hi = lo;
    if (lo > 0)
        memset(xp_row, 0, (size_t)(lo * cs) * sizeof(T));
    if (hi < wp)
        memset(xp_row + hi * cs, 0, (size_t)((wp - hi) * cs) * sizeof(T));
    const ck_index plane = j->ih * j->iw;
    const T *src0 = in + (n * j->in_ch + g * cs) * plane + ir * j->iw - j->off_w;
    for (ck_index c = 0; c < cs; ++c) {
        const T *src = src0 + c * plane;
        T *dst = xp_row + c;
        for (ck_index ps = lo; ps < hi; ++ps)
            dst[ps * cs] = src[ps];
    }
}

/* Steps 2-4 for tiles [t0, t0 + nt) of the chunk on one thread (V, M: this thread's buffers). */
static void SFX(wino_block)(const wino_job *j, const SFX(wino_kernels) *kern, const T *xp, const T *Ug,
                            ck_index t0, ck_index nt, T *V, T *M, const T *bg, T *yc, ck_index y_img)
{
    const ck_index cs = j->tg.cs, ks = j->tg.ks;
    const ck_index ldv = nt * cs + CK_WINO_SKEW, ldm = nt * ks + CK_WINO_SKEW;
    SFX(wino_input_all)(kern, &j->tg, xp, t0, nt, V, ldv);
    for (int e = 0; e < 36; ++e)
        GEMM(0, 0, nt, ks, cs, (T)1, V + (ck_index)e * ldv, cs, Ug + (ck_index)e * cs * ks, ks, (T)0,
             M + (ck_index)e * ldm, ks);
    SFX(wino_output_all)(kern, &j->tg, M, ldm, t0, nt, bg, yc, y_img);
}

static ck_status SFX(wino_call_kblocked)(const ck_conv_params *p, ck_conv_direction dir, const wino_job *jp,
                                         const T *U, const T *in, const T *w, const T *b, T *out);

ck_status SFX(ck_conv_winograd_run)(const ck_conv_params *p, ck_conv_direction dir, const T *U, const T *in,
                                    const T *b, T *out)
{
    if (!ck_conv_winograd_supports(p) || dir == CK_CONV_BWD_WEIGHT)
        return CK_ERR_UNSUPPORTED;
    if (p->batch == 0)
        return CK_OK;
    wino_job j;
    make_job(p, dir, sizeof(T), 0, &j);
    if (j.kb > 0)
        return SFX(wino_call_kblocked)(p, dir, &j, U, in, NULL, b, out);
    const SFX(wino_kernels) kern = SFX(wino_pick)(j.tg.r);
    const ck_index cs = j.tg.cs, ks = j.tg.ks, tpi = j.tg.th * j.tg.tw;
    const size_t xp_elems = (size_t)j.nb * (size_t)(j.tg.hp * j.tg.wp * cs);
    const size_t v_elems = (size_t)36 * (size_t)(j.tb * cs + CK_WINO_SKEW);
    const size_t m_elems = (size_t)36 * (size_t)(j.tb * ks + CK_WINO_SKEW);
    T *xp = (T *)ck_aligned_alloc(xp_elems * sizeof(T));
    T *V = (T *)ck_aligned_alloc((size_t)j.team * v_elems * sizeof(T));
    T *M = (T *)ck_aligned_alloc((size_t)j.team * m_elems * sizeof(T));
    if (!xp || !V || !M) {
        ck_aligned_free(xp);
        ck_aligned_free(V);
        ck_aligned_free(M);
        return CK_ERR_NOMEM;
    }
    const ck_index plane_out = j.tg.oh * j.tg.ow, y_img = j.out_ch * plane_out;
    ck_gemm_pin_begin(j.team > 1 ? 1 : p->num_threads);
#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(j.team) if (j.team > 1)
#endif
    {
        const int tid = wino_tid();
        T *Vt = V + (size_t)tid * v_elems, *Mt = M + (size_t)tid * m_elems;
        for (ck_index g = 0; g < j.groups; ++g) {
            const T *Ug = U + g * 36 * cs * ks;
            for (ck_index n0 = 0; n0 < j.batch; n0 += j.nb) {
                const ck_index nbc = j.batch - n0 < j.nb ? j.batch - n0 : j.nb;
                const ck_index rows = nbc * j.tg.hp;
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                for (ck_index row = 0; row < rows; ++row)
                    SFX(wino_pack_row)(&j, in, n0 + row / j.tg.hp, g, row % j.tg.hp, xp + row * j.tg.wp * cs);
                const ck_index tiles = nbc * tpi;
                const ck_index nblk = (tiles + j.tb - 1) / j.tb, tbc = (tiles + nblk - 1) / nblk;
                T *yc = out + n0 * y_img + g * ks * plane_out;
                const T *bg = b ? b + g * ks : NULL;
                if (nblk >= j.team) {
                    /* enough blocks: each block on one thread, its V and M in that core's cache */
#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
                    for (ck_index blk = 0; blk < nblk; ++blk) {
                        if (ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h): skip the rest */
                            continue;
                        const ck_index t0 = blk * tbc, nt = tiles - t0 < tbc ? tiles - t0 : tbc;
                        SFX(wino_block)(&j, &kern, xp, Ug, t0, nt, Vt, Mt, bg, yc, y_img);
                    }
                    continue;
                }
                /* fewer blocks than threads (small images): the team shares each block's steps,
                 * the same operations in the same order as above */
                for (ck_index t0 = 0; t0 < tiles; t0 += tbc) {
                    const ck_index nt = tiles - t0 < tbc ? tiles - t0 : tbc;
                    const ck_index ldv = nt * cs + CK_WINO_SKEW, ldm = nt * ks + CK_WINO_SKEW;
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                    for (ck_index t = t0; t < t0 + nt; ++t)
                        SFX(wino_input_all)(&kern, &j.tg, xp, t, 1, V + (t - t0) * cs, ldv);
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                    for (int e = 0; e < 36; ++e)
                        GEMM(0, 0, nt, ks, cs, (T)1, V + (ck_index)e * ldv, cs, Ug + (ck_index)e * cs * ks, ks,
                             (T)0, M + (ck_index)e * ldm, ks);
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                    for (ck_index t = t0; t < t0 + nt; ++t)
                        SFX(wino_output_all)(&kern, &j.tg, M + (t - t0) * ks, ldm, t, 1, bg, yc, y_img);
                }
            }
        }
    }
    ck_gemm_pin_end();
    ck_aligned_free(xp);
    ck_aligned_free(V);
    ck_aligned_free(M);
    return CK_OK;
}

/* A plain call blocked over output channels (j->kb > 0; why: wino_kblocked in conv_winograd.c).
 * Per group and chunk: xp, then V of all the chunk's tiles (shared by the team), then one work item
 * per block of kb output channels on one thread: that block's U (the weight kernels with the
 * columns offset to the block), 36 GEMMs into M, the output transform. Blocks depend on the problem
 * only, and each output element is computed by one thread in a fixed order: the same bits for any
 * thread count. */
static ck_status SFX(wino_call_kblocked)(const ck_conv_params *p, ck_conv_direction dir, const wino_job *jp,
                                         const T *U, const T *in, const T *w, const T *b, T *out)
{
    const wino_job j = *jp;
    const SFX(wino_kernels) kern = SFX(wino_pick)(j.tg.r);
    const int fwd = dir == CK_CONV_FWD;
    const ck_index cs = j.tg.cs, ks = j.tg.ks, tpi = j.tg.th * j.tg.tw, kb = j.kb;
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p), taps = j.tg.r * j.tg.r;
    const ck_index sr = fwd ? taps : Cg * taps, sq = fwd ? Cg * taps : taps;
    const size_t xp_elems = (size_t)j.nb * (size_t)(j.tg.hp * j.tg.wp * cs);
    const size_t v_elems = (size_t)36 * ((size_t)j.tb * (size_t)cs + CK_WINO_SKEW);
    const size_t u_elems = U ? 0 : (size_t)36 * ((size_t)cs * (size_t)kb + CK_WINO_SKEW);
    const size_t m_elems = (size_t)36 * ((size_t)j.tb * (size_t)kb + CK_WINO_SKEW);
    T *xp = (T *)ck_aligned_alloc(xp_elems * sizeof(T));
    T *V = (T *)ck_aligned_alloc(v_elems * sizeof(T));
    T *UM = (T *)ck_aligned_alloc((size_t)j.team * (u_elems + m_elems) * sizeof(T));
    if (!xp || !V || !UM) {
        ck_aligned_free(xp);
        ck_aligned_free(V);
        ck_aligned_free(UM);
        return CK_ERR_NOMEM;
    }
    const ck_index plane_out = j.tg.oh * j.tg.ow, y_img = j.out_ch * plane_out;
    const ck_index nkb = (ks + kb - 1) / kb;
    ck_gemm_pin_begin(j.team > 1 ? 1 : p->num_threads);
#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(j.team) if (j.team > 1)
#endif
    {
        const int tid = wino_tid();
        T *Ut = UM + (size_t)tid * (u_elems + m_elems), *Mt = Ut + u_elems;
        for (ck_index g = 0; g < j.groups; ++g) {
            const T *wg = w ? w + g * Kg * Cg * taps : NULL;
            const T *bg = b ? b + g * ks : NULL;
            for (ck_index n0 = 0; n0 < j.batch; n0 += j.nb) {
                const ck_index nbc = j.batch - n0 < j.nb ? j.batch - n0 : j.nb;
                const ck_index rows = nbc * j.tg.hp, tiles = nbc * tpi;
                const ck_index ldv = tiles * cs + CK_WINO_SKEW;
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                for (ck_index row = 0; row < rows; ++row)
                    SFX(wino_pack_row)(&j, in, n0 + row / j.tg.hp, g, row % j.tg.hp, xp + row * j.tg.wp * cs);
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                for (ck_index t = 0; t < tiles; ++t)
                    SFX(wino_input_all)(&kern, &j.tg, xp, t, 1, V + t * cs, ldv);
                T *yc = out + n0 * y_img + g * ks * plane_out;
#if CK_BUILD_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
                for (ck_index ib = 0; ib < nkb; ++ib) {
                    if (ck_interrupt_pending())
                        continue;
                    const ck_index k0 = ib * kb, kn = ks - k0 < kb ? ks - k0 : kb;
                    const ck_index ldm = tiles * kn + CK_WINO_SKEW;
                    /* the block's U: the plan's (blocked layout, transform_weight) or made here */
                    /* the per-thread buffer is skewed: cs kn is a multiple of 4 KiB for power-of-two
                     * channels, and the kernel's 36 rows per column vector then share one L1 set
                     * (AVX2 float32, r50_3x3_7 batch 1: 7.2 -> 4.3 ms) */
                    const ck_index ldu = U ? cs * kn : cs * kn + CK_WINO_SKEW;
                    const T *Ub = U ? U + g * 36 * cs * ks + 36 * cs * k0 : Ut;
                    if (!U)
                        SFX(wino_weight_block)(&kern, wg + k0 * sq, sr, sq, !fwd, cs, kn, ldu, Ut);
                    for (int e = 0; e < 36; ++e)
                        GEMM(0, 0, tiles, kn, cs, (T)1, V + (ck_index)e * ldv, cs, Ub + (ck_index)e * ldu, kn,
                             (T)0, Mt + (ck_index)e * ldm, kn);
                    ck_wino_tiles tk = j.tg;
                    tk.ks = kn;
                    T *yk = yc + k0 * plane_out;
                    const T *bk = bg ? bg + k0 : NULL;
                    SFX(wino_output_all)(&kern, &tk, Mt, ldm, 0, tiles, bk, yk, y_img);
                }
            }
        }
    }
    ck_gemm_pin_end();
    ck_aligned_free(xp);
    ck_aligned_free(V);
    ck_aligned_free(UM);
    return CK_OK;
}

/* The plain entry points: U for this call, then the run (or the output-channel blocked call). */
static ck_status SFX(wino_call)(const ck_conv_params *p, ck_conv_direction dir, const T *in, const T *w,
                                const T *b, T *out)
{
    if (!ck_conv_winograd_supports(p))
        return CK_ERR_UNSUPPORTED;
    if (p->batch == 0)
        return CK_OK;
    {
        wino_job jk;
        make_job(p, dir, sizeof(T), 1, &jk);
        if (jk.kb > 0)
            return SFX(wino_call_kblocked)(p, dir, &jk, NULL, in, w, b, out);
    }
    T *U = (T *)ck_aligned_alloc(ck_conv_winograd_weight_elems(p) * sizeof(T));
    if (!U)
        return CK_ERR_NOMEM;
    ck_status st = SFX(ck_conv_winograd_transform_weight)(p, dir, w, U);
    if (st == CK_OK)
        st = SFX(ck_conv_winograd_run)(p, dir, U, in, b, out);
    ck_aligned_free(U);
    return st;
}

CK_CONV_FWD_BWI_VIA(SFX(wino_call), SFX(ck_conv_fwd__winograd), SFX(ck_conv_bwd_input__winograd), T)

/* One row of dyp: image n of the chunk, row pr < m th, the output gradient's channels k0 .. k0 + kn of
 * group g, channels last, zero beyond oh x ow. */
static void SFX(wino_pack_grad_row)(const wino_job *j, const T *dy, ck_index n, ck_index g, ck_index k0,
                                    ck_index kn, ck_index pr, T *row)
{
    const ck_index qw = j->tg.m * j->tg.tw, ow = j->tg.ow, plane = j->tg.oh * ow;
    if (pr >= j->tg.oh) {
        memset(row, 0, (size_t)(qw * kn) * sizeof(T));
        return;
    }
    if (ow < qw)
        memset(row + ow * kn, 0, (size_t)((qw - ow) * kn) * sizeof(T));
    const T *src0 = dy + (n * j->out_ch + g * j->tg.ks + k0) * plane + pr * ow;
    for (ck_index k = 0; k < kn; ++k) {
        const T *src = src0 + k * plane;
        T *dst = row + k;
        for (ck_index s = 0; s < ow; ++s)
            dst[s * kn] = src[s];
    }
}

/* The weight gradient in the Winograd domain (design: wino_wgrad_plan in conv_winograd.c):
 *   dU[e] = sum over tiles of V[e]^T Y[e]   (V = BT d B of the input tiles, Y = A dy A^T of the
 *   output-gradient tiles; [Cs x kn] per block of kn output channels), then dw = G^T dU G.
 * Per group and block of output channels: for each chunk of images xp and dyp, then per block of tiles
 * the team shares the transforms (tiles) and the 36 GEMMs (one element each, accumulating the blocks
 * in their fixed order); finally the team shares dU's transform into dw. Every sum's order depends on
 * the problem and the workspace limit only: the same bits for any thread count. */
ck_status SFX(ck_conv_bwd_weight__winograd)(const ck_conv_params *p, const T *dy, const T *x, T *dw)
{
    if (ck_conv_winograd_unsupported(p, CK_CONV_BWD_WEIGHT))
        return CK_ERR_UNSUPPORTED;
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    if (p->batch == 0) {
        memset(dw, 0, (size_t)(p->out_channels * Cg * p->kernel_size[1] * p->kernel_size[2]) * sizeof(T));
        return CK_OK;
    }
    wino_job j;
    wino_wgrad_plan pl;
    make_job(p, CK_CONV_FWD, sizeof(T), 0, &j);
    wino_make_wgrad_plan(p, &j, sizeof(T), &pl);
    const SFX(wino_kernels) kern = SFX(wino_pick)(j.tg.r);
    const ck_index cs = Cg, tpi = j.tg.th * j.tg.tw, qh = j.tg.m * j.tg.th, qw = j.tg.m * j.tg.tw, kb = pl.kb, tb = pl.tb;
    const ck_index taps = j.tg.r * j.tg.r;
    T *xp = (T *)ck_aligned_alloc((size_t)pl.nb * (size_t)(j.tg.hp * j.tg.wp * cs) * sizeof(T));
    T *dyp = (T *)ck_aligned_alloc((size_t)pl.nb * (size_t)(qh * qw * kb) * sizeof(T));
    T *V = (T *)ck_aligned_alloc((size_t)36 * (size_t)(tb * cs + CK_WINO_SKEW) * sizeof(T));
    T *Y = (T *)ck_aligned_alloc((size_t)36 * (size_t)(tb * kb + CK_WINO_SKEW) * sizeof(T));
    T *dU = (T *)ck_aligned_alloc((size_t)36 * (size_t)(cs * kb + CK_WINO_SKEW) * sizeof(T));
    if (!xp || !dyp || !V || !Y || !dU) {
        ck_aligned_free(xp);
        ck_aligned_free(dyp);
        ck_aligned_free(V);
        ck_aligned_free(Y);
        ck_aligned_free(dU);
        return CK_ERR_NOMEM;
    }
    const ck_index nkb = (Kg + kb - 1) / kb;
    ck_gemm_pin_begin(j.team > 1 ? 1 : p->num_threads);
#if CK_BUILD_OPENMP
#pragma omp parallel num_threads(j.team) if (j.team > 1)
#endif
    for (ck_index g = 0; g < j.groups; ++g) {
        for (ck_index ib = 0; ib < nkb; ++ib) {
            const ck_index k0 = ib * kb, kn = Kg - k0 < kb ? Kg - k0 : kb;
            const ck_index ldu = cs * kn + CK_WINO_SKEW;
            ck_wino_tiles tk = j.tg;
            tk.ks = kn;
            int first = 1; /* the first block of tiles writes dU (beta 0), the others add to it */
            for (ck_index n0 = 0; n0 < j.batch; n0 += pl.nb) {
                const ck_index nbc = j.batch - n0 < pl.nb ? j.batch - n0 : pl.nb;
                const ck_index xrows = nbc * j.tg.hp, grows = nbc * qh, tiles = nbc * tpi;
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                for (ck_index row = 0; row < xrows + grows; ++row) {
                    if (row < xrows)
                        SFX(wino_pack_row)(&j, x, n0 + row / j.tg.hp, g, row % j.tg.hp, xp + row * j.tg.wp * cs);
                    else
                        SFX(wino_pack_grad_row)(&j, dy, n0 + (row - xrows) / qh, g, k0, kn, (row - xrows) % qh,
                                                dyp + (row - xrows) * qw * kn);
                }
                const ck_index nblk = (tiles + tb - 1) / tb, tbc = (tiles + nblk - 1) / nblk;
                for (ck_index t0 = 0; t0 < tiles; t0 += tbc) {
                    const ck_index nt = tiles - t0 < tbc ? tiles - t0 : tbc;
                    const ck_index ldv = nt * cs + CK_WINO_SKEW, ldy = nt * kn + CK_WINO_SKEW;
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                    for (ck_index t = t0; t < t0 + nt; ++t) {
                        SFX(wino_input_all)(&kern, &j.tg, xp, t, 1, V + (t - t0) * cs, ldv);
                        SFX(wino_grad_output_all)(&kern, &tk, dyp, t, 1, Y + (t - t0) * kn, ldy);
                    }
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
                    for (int e = 0; e < 36; ++e) {
                        if (ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h): skip the rest */
                            continue;
                        GEMM(1, 0, cs, kn, nt, (T)1, V + (ck_index)e * ldv, cs, Y + (ck_index)e * ldy, kn,
                             first ? (T)0 : (T)1, dU + (ck_index)e * ldu, kn);
                    }
                    first = 0;
                }
            }
            /* dw[g Kg + k0 + q][c][tap] = (G^T dU[.][c][q] G)[tap] */
            T *dwb = dw + (g * Kg + k0) * Cg * taps;
            const ck_index qv = (kn + kern.lanes - 1) / kern.lanes;
#if CK_BUILD_OPENMP
#pragma omp for schedule(static)
#endif
            for (ck_index it = 0; it < cs * qv; ++it) {
                const ck_index c = it / qv, q0 = (it % qv) * kern.lanes;
                if (q0 + kern.lanes <= kn)
                    kern.vec.grad_weight(dU, ldu, kn, c, c + 1, q0, q0 + kern.lanes, dwb, taps, Cg * taps);
                else
                    kern.tail.grad_weight(dU, ldu, kn, c, c + 1, q0, kn, dwb, taps, Cg * taps);
            }
        }
    }
    ck_gemm_pin_end();
    ck_aligned_free(xp);
    ck_aligned_free(dyp);
    ck_aligned_free(V);
    ck_aligned_free(Y);
    ck_aligned_free(dU);
    return CK_OK;
}
