/*
 * conv_fft_template.h -- the passes of the fft operator for one dtype (contract: conv_fft.c).
 * Included by conv_fft_ops.c with REAL, LANES_T, the transform/GEMM/product-kernel functions of that dtype
 * (CGEMM, GEMM, MAC) and the public names #defined (FFT_SPECTRUM, FFT_RUN, FFT_RUN_BWD_WEIGHT, FFT_FWD,
 * FFT_BWD_INPUT, FFT_BWD_WEIGHT) and the static ones; it #undefs them all at the end.
 */

/* Work items of G == LANES_T images use the lane-interleaved transforms (image q in lane q; small
 * images), others (G < LANES_T: large images) the per-image ones. */

/* Decompose a tile index into its per-axis output start and count. */
static void TILE_BOX(const ck_conv_fft_plan *pl, ck_index tile, ck_index o[3], ck_index cnt[3])
{
    const ck_index t2 = tile % pl->ntiles[2], t1 = (tile / pl->ntiles[2]) % pl->ntiles[1];
    const ck_index t0 = tile / (pl->ntiles[2] * pl->ntiles[1]);
    const ck_index t[3] = {t0, t1, t2};
    for (int a = 0; a < 3; ++a) {
        o[a] = t[a] * pl->m[a];
        cnt[a] = pl->p.out_size[a] - o[a] < pl->m[a] ? pl->p.out_size[a] - o[a] : pl->m[a];
    }
}

/* buf[N0][N1][N2] (element e at buf[e * stride]) = the part of input plane x (in_size) that the tile's
 * window reads, zeros elsewhere (stride 1: zeroed here; else the caller zeroed the buffer). */
static void GATHER_INPUT(const ck_conv_fft_plan *pl, const REAL *x, ck_index tile, REAL *buf, ck_index stride)
{
    const ck_conv_params *p = &pl->p;
    ck_index o[3], cnt[3], ja[3], jb[3];
    TILE_BOX(pl, tile, o, cnt);
    if (stride == 1)
        memset(buf, 0, sizeof(REAL) * (size_t)pl->nreal);
    for (int a = 0; a < 3; ++a) {
        const ck_index L = cnt[a] + p->kernel_size[a] - 1, off = p->pad_before[a] - o[a];
        ja[a] = off > 0 ? off : 0;
        jb[a] = off + p->in_size[a] < L ? off + p->in_size[a] : L;
        if (jb[a] <= ja[a])
            return;
    }
    const ck_index i1n = p->in_size[1], i2n = p->in_size[2], n1 = pl->n[1], n2 = pl->n[2];
    const size_t run = sizeof(REAL) * (size_t)(jb[2] - ja[2]);
    for (ck_index j0 = ja[0]; j0 < jb[0]; ++j0)
        for (ck_index j1 = ja[1]; j1 < jb[1]; ++j1) {
            const ck_index s0 = o[0] - p->pad_before[0] + j0, s1 = o[1] - p->pad_before[1] + j1;
            const ck_index s2 = o[2] - p->pad_before[2] + ja[2];
            const REAL *src = x + (s0 * i1n + s1) * i2n + s2;
            REAL *dst = buf + ((j0 * n1 + j1) * n2 + ja[2]) * stride;
            if (stride == 1) {
                memcpy(dst, src, run);
            } else {
                for (ck_index j = 0; j < jb[2] - ja[2]; ++j)
                    dst[j * stride] = src[j];
            }
        }
}

/* buf = the tile's block of output plane dy (out_size) at offset 0, zeros elsewhere (bwd_weight). */
static void GATHER_OUTPUT(const ck_conv_fft_plan *pl, const REAL *dy, ck_index tile, REAL *buf, ck_index stride)
{
    const ck_conv_params *p = &pl->p;
    ck_index o[3], cnt[3];
    TILE_BOX(pl, tile, o, cnt);
    if (stride == 1)
        memset(buf, 0, sizeof(REAL) * (size_t)pl->nreal);
    const ck_index n1 = pl->n[1], n2 = pl->n[2];
    for (ck_index i0 = 0; i0 < cnt[0]; ++i0)
        for (ck_index i1 = 0; i1 < cnt[1]; ++i1) {
            const REAL *src = dy + ((o[0] + i0) * p->out_size[1] + o[1] + i1) * p->out_size[2] + o[2];
            REAL *dst = buf + (i0 * n1 + i1) * n2 * stride;
            for (ck_index i2 = 0; i2 < cnt[2]; ++i2)
                dst[i2 * stride] = src[i2];
        }
}

/* y plane (out_size) tile block = scale * r + bias. */
static void SCATTER_OUTPUT(const ck_conv_fft_plan *pl, const REAL *r, ck_index stride, ck_index tile, REAL scale,
                           REAL bias, REAL *y)
{
    const ck_conv_params *p = &pl->p;
    ck_index o[3], cnt[3];
    TILE_BOX(pl, tile, o, cnt);
    const ck_index n1 = pl->n[1], n2 = pl->n[2];
    for (ck_index i0 = 0; i0 < cnt[0]; ++i0)
        for (ck_index i1 = 0; i1 < cnt[1]; ++i1) {
            const REAL *src = r + (i0 * n1 + i1) * n2 * stride;
            REAL *dst = y + ((o[0] + i0) * p->out_size[1] + o[1] + i1) * p->out_size[2] + o[2];
            for (ck_index i2 = 0; i2 < cnt[2]; ++i2)
                dst[i2] = src[i2 * stride] * scale + bias;
        }
}

/* Y[f] = W[f] X[f] for one frequency, every group; small products skip the BLAS call overhead. */
static void MIX_FORWARD(const ck_conv_fft_plan *pl, const REAL *wspec, const REAL *xs, REAL *ys, ck_index f, ck_index nb,
                        REAL *xi)
{
    const ck_conv_params *p = &pl->p;
    const ck_index cig = ck_conv_in_per_group(p), cog = ck_conv_out_per_group(p);
    const int blas = cig * cog * nb >= 512;
    if (cig == 1 && cog == 1) { /* one channel, or depthwise: a point-wise product, inline */
        const REAL *A = wspec + 2 * f * ck_conv_fft_spec_ld(pl);
        const REAL *B = xs + 2 * f * p->groups * nb;
        REAL *C = ys + 2 * f * p->groups * nb;
        for (ck_index g = 0; g < p->groups; ++g) {
            const REAL ar = A[2 * g], ai = A[2 * g + 1];
            for (ck_index t = 0; t < nb; ++t) {
                const REAL br = B[2 * (g * nb + t)], bi = B[2 * (g * nb + t) + 1];
                C[2 * (g * nb + t)] = ar * br - ai * bi;
                C[2 * (g * nb + t) + 1] = ar * bi + ai * br;
            }
        }
        return;
    }
    for (ck_index g = 0; g < p->groups; ++g) {
        const REAL *A = wspec + 2 * (f * ck_conv_fft_spec_ld(pl) + g * cog * cig);
        const REAL *B = xs + 2 * (f * p->in_channels + g * cig) * nb;
        REAL *C = ys + 2 * (f * p->out_channels + g * cog) * nb;
        if (xi) { /* own kernel: xi = i * B, then C = Re(A) B + Im(A) (i B) */
            for (ck_index j = 0; j < cig * nb; ++j) {
                xi[2 * j] = -B[2 * j + 1];
                xi[2 * j + 1] = B[2 * j];
            }
            MAC(cog, cig, 2 * nb, A, A + 1, 2 * cig, 2, B, xi, 2 * nb, C, 2 * nb);
        } else if (blas) {
            CGEMM(CK_OP_N, CK_OP_N, cog, nb, cig, A, cig, B, nb, 0, C, nb);
        } else {
            CGEMM_NAIVE(CK_OP_N, CK_OP_N, cog, nb, cig, A, cig, B, nb, 0, C, nb);
        }
    }
}

/* Kernel spectrum of a 1-D/2-D plan as two real GEMMs per chunk of Q kernels (contract: conv_fft.c,
 * "kernel spectrum"): kb[q][t1][t2] (the chunk's kernels, flipped / channel-swapped for bwd_input),
 *   B[c][f2][q][t1] = sum_t2 E2[c][f2][t2] kb[q][t1][t2]      E2 = (cos, sin)(2 pi f2 t2 / N2), f2 < nh
 *   W[f1][c'][f2][q] = sum_{c, t1} E1[f1][c'][c][t1] B[c][f2][q][t1]   (complex e^{+2 pi i f1 t1 / N1},
 *                      as P +- i Q from real cos / sin GEMMs over f1 <= N1/2: DFT_CHUNK)
 * i.e. conj(DFT) of the zero-padded kernel at the nh x N1 frequencies, only the k1 x k2 nonzero inputs
 * entering; then W is interleaved into spec[f][id]. Chunks are fixed by the sizes (never the threads). */
/* The DFT tables of the GEMM form: E2 [2][nh][k2] (cos, sin of 2 pi f2 t2 / N2) and E1 [H][2][k1]
 * (cos, sin of 2 pi h t1 / N1), H = N1/2 + 1 (tab: DFT_TAB_ELEMS REALs). */
#define DFT_TAB_ELEMS(pl) (2 * ((pl)->n[2] / 2 + 1) * (pl)->p.kernel_size[2] + 2 * ((pl)->n[1] / 2 + 1) * (pl)->p.kernel_size[1])
static void DFT_TABLES(const ck_conv_fft_plan *pl, REAL *tab)
{
    const ck_index k1 = pl->p.kernel_size[1], k2 = pl->p.kernel_size[2];
    const ck_index N1 = pl->n[1], N2 = pl->n[2], nh = N2 / 2 + 1, H = N1 / 2 + 1;
    REAL *E2 = tab, *E1 = tab + 2 * nh * k2;
    for (ck_index f2 = 0; f2 < nh; ++f2)
        for (ck_index t2 = 0; t2 < k2; ++t2) {
            REAL c, s;
            ck_conv_fft_unit((f2 * t2) % N2, N2, sizeof(REAL), &c, &s);
            E2[f2 * k2 + t2] = c;
            E2[(nh + f2) * k2 + t2] = s;
        }
    for (ck_index h = 0; h < H; ++h)
        for (ck_index t1 = 0; t1 < k1; ++t1) {
            REAL c, s;
            ck_conv_fft_unit((h * t1) % N1, N1, sizeof(REAL), &c, &s);
            E1[(2 * h) * k1 + t1] = c;
            E1[(2 * h + 1) * k1 + t1] = s;
        }
}

/* REALs of one chunk's buffers (kb, B, PQ, W) for Q kernels. */
#define DFT_CHUNK_ELEMS(pl, Q)                                                                              \
    ((Q) * (pl)->p.kernel_size[1] * (pl)->p.kernel_size[2] + 2 * ((pl)->n[2] / 2 + 1) * (Q) * (pl)->p.kernel_size[1] + \
     4 * ((pl)->n[1] / 2 + 1) * ((pl)->n[2] / 2 + 1) * (Q) + 2 * (pl)->n[1] * ((pl)->n[2] / 2 + 1) * (Q))

/* W[f1][c'][f2][q] (q < Q, columns >= cnt zero) = conj(DFT) of kernels first .. first + cnt - 1. */
static void DFT_CHUNK(const ck_conv_fft_plan *pl, const REAL *w, const REAL *tab, ck_index first, ck_index cnt,
                      ck_index Q, REAL *kb)
{
    const ck_conv_params *p = &pl->p, *u = &pl->user;
    const ck_index cig = ck_conv_in_per_group(p);
    const ck_index k1 = p->kernel_size[1], k2 = p->kernel_size[2], kv = k1 * k2;
    const ck_index N1 = pl->n[1], nh = pl->n[2] / 2 + 1, H = N1 / 2 + 1, L = nh * Q;
    const REAL *E2 = tab, *E1 = tab + 2 * nh * k2;
    REAL *B = kb + Q * kv, *PQ = B + 2 * nh * Q * k1, *W = PQ + 4 * H * L;
    if (pl->dir != CK_CONV_BWD_INPUT) {
        memcpy(kb, w + first * kv, sizeof(REAL) * (size_t)(cnt * kv));
    } else {
        const ck_index ucig = ck_conv_in_per_group(u), ucog = ck_conv_out_per_group(u);
        for (ck_index q = 0; q < cnt; ++q) {
            /* derived kernel [oc = user input channel][ic = user output channel in group], flipped */
            const ck_index id = first + q, oc = id / cig, ic = id % cig;
            const ck_index grp = oc / ucig, uci = oc % ucig, uco = grp * ucog + ic;
            const REAL *src = w + (uco * ucig + uci) * kv;
            REAL *d = kb + q * kv;
            for (ck_index j = 0; j < kv; ++j)
                d[j] = src[kv - 1 - j];
        }
    }
    if (cnt < Q)
        memset(kb + cnt * kv, 0, sizeof(REAL) * (size_t)((Q - cnt) * kv));
    /* B[(c, f2)][(q, t1)] = E2[(c, f2)][t2] kb[(q, t1)][t2]^T */
    GEMM(0, 1, 2 * nh, Q * k1, k2, (REAL)1, E2, k2, kb, k2, (REAL)0, B, Q * k1);
    /* P + i Q per h <= N1/2: PQ[part][(h, cos|sin)][(f2, q)] = E1[(h, cos|sin)][t1] B[part][(f2, q)][t1]^T,
     * part = re, im of B (real coefficients: half the flops of the complex product over all f1) */
    GEMM(0, 1, 2 * H, L, k1, (REAL)1, E1, k1, B, k1, (REAL)0, PQ, L);
    GEMM(0, 1, 2 * H, L, k1, (REAL)1, E1, k1, B + L * k1, k1, (REAL)0, PQ + 2 * H * L, L);
    /* W[h] = P + i Q, W[N1 - h] = P - i Q (e^{+i a} = cos a + i sin a; sin flips at N1 - h) */
    for (ck_index h = 0; h < H; ++h) {
        const REAL *Pr = PQ + 2 * h * L, *Qr = Pr + L, *Pi = PQ + 2 * H * L + 2 * h * L, *Qi = Pi + L;
        REAL *wr = W + 2 * h * L, *wi = wr + L;
        for (ck_index j = 0; j < L; ++j) {
            wr[j] = Pr[j] - Qi[j];
            wi[j] = Pi[j] + Qr[j];
        }
        const ck_index g = N1 - h;
        if (h > 0 && g != h) {
            REAL *gr = W + 2 * g * L, *gi = gr + L;
            for (ck_index j = 0; j < L; ++j) {
                gr[j] = Pr[j] + Qi[j];
                gi[j] = Pi[j] - Qr[j];
            }
        }
    }
}

/* Kernel spectrum of a 1-D/2-D plan as real GEMMs per chunk of Q kernels (contract: conv_fft.c,
 * "kernel spectrum"): kb[q][t1][t2] (the chunk's kernels, flipped / channel-swapped for bwd_input),
 *   B[c][f2][q][t1] = sum_t2 E2[c][f2][t2] kb[q][t1][t2]      E2 = (cos, sin)(2 pi f2 t2 / N2), f2 < nh
 *   W[f1][c'][f2][q] = sum_{c, t1} E1[f1][c'][c][t1] B[c][f2][q][t1]   (complex e^{+2 pi i f1 t1 / N1},
 *                      as P +- i Q from real cos / sin GEMMs over f1 <= N1/2: DFT_CHUNK)
 * i.e. conj(DFT) of the zero-padded kernel at the N1 x nh frequencies, only the k1 x k2 nonzero inputs
 * entering; then W is interleaved into spec[f][id]. Chunks are fixed by the sizes (never the threads). */
static ck_status DFT_SPECTRUM(const ck_conv_fft_plan *pl, const REAL *w, REAL *spec, int num_threads)
{
    const ck_conv_params *p = &pl->p;
    const ck_index nimg = p->out_channels * ck_conv_in_per_group(p);
    const ck_index N1 = pl->n[1], nh = pl->n[2] / 2 + 1;
    const ck_index Q = ck_conv_fft_dft_chunk(pl), chunks = (nimg + Q - 1) / Q, ld = ck_conv_fft_spec_ld(pl);
    const ck_index team = num_threads > 1 ? num_threads : 1, per = DFT_CHUNK_ELEMS(pl, Q);
    REAL *tab = ck_aligned_alloc(sizeof(REAL) * (size_t)DFT_TAB_ELEMS(pl));
    REAL *tbuf = ck_aligned_alloc(sizeof(REAL) * (size_t)(team * per));
    if (!tab || !tbuf) {
        ck_aligned_free(tab);
        ck_aligned_free(tbuf);
        return CK_ERR_NOMEM;
    }
    DFT_TABLES(pl, tab);
    int pin;
    const ck_index dft_team = ck_gemm_team_begin(sizeof(REAL), team, &pin);
#pragma omp parallel for num_threads(ck_team(dft_team, chunks)) schedule(dynamic)
    for (ck_index ch = 0; ch < chunks; ++ch) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        REAL *kb = tbuf + (ck_index)CK_THREAD_NUM() * per;
        const ck_index first = ch * Q, cnt = nimg - first < Q ? nimg - first : Q;
        DFT_CHUNK(pl, w, tab, first, cnt, Q, kb);
        const REAL *W = kb + DFT_CHUNK_ELEMS(pl, Q) - 2 * N1 * nh * Q;
        for (ck_index f1 = 0; f1 < N1; ++f1)
            for (ck_index f2 = 0; f2 < nh; ++f2) {
                const REAL *wr = W + (2 * f1 * nh + f2) * Q, *wi = wr + nh * Q;
                REAL *dst = spec + 2 * ((f1 * nh + f2) * ld + first);
                for (ck_index q = 0; q < cnt; ++q) {
                    dst[2 * q] = wr[q];
                    dst[2 * q + 1] = wi[q];
                }
            }
    }
    ck_gemm_team_end(pin);
    ck_aligned_free(tab);
    ck_aligned_free(tbuf);
    return CK_OK;
}

/* A worker's image buffer (ck_conv_fft_thread_elems per thread, followed by its spectrum and scratch
 * areas): G images, lane-interleaved when G == LANES_T (image q at real + q, stride LANES_T; zeroed
 * here), else whole (image q at real + q * nreal). */
static inline REAL *WORKER_IMAGES(const ck_conv_fft_plan *pl, REAL *tbuf, ck_index per)
{
    REAL *real = tbuf + (ck_index)CK_THREAD_NUM() * per;
    if (pl->group == LANES_T)
        memset(real, 0, sizeof(REAL) * (size_t)(LANES_T * pl->nreal));
    return real;
}

/* The cnt spectra at (re, im) (image q at q * qs) into dst (interleaved complex, conjugated when conj)
 * and, when d2, i times them into d2. */
static inline __attribute__((always_inline)) void
STORE_SPECTRA(const REAL *re, const REAL *im, ck_index qs, ck_index cnt, int conj, REAL *dst, REAL *d2)
{
    for (ck_index q = 0; q < cnt; ++q) {
        dst[2 * q] = re[q * qs];
        dst[2 * q + 1] = conj ? -im[q * qs] : im[q * qs];
    }
    if (d2) /* i X for the product kernel */
        for (ck_index q = 0; q < cnt; ++q) {
            d2[2 * q] = -im[q * qs];
            d2[2 * q + 1] = re[q * qs];
        }
}
/* Forward transforms of the cnt images in a worker's buffer (WORKER_IMAGES), whose nonzero rows are
 * `rows` (NULL: all), into spec[f][ld] at column `first` (interleaved complex, conjugated when conj) and,
 * when xi, i times the spectrum into xi likewise. Always inlined, so each caller's copy loop is compiled
 * for its constant conj. */
static inline __attribute__((always_inline)) void
FORWARD_IMAGES(const ck_conv_fft_plan *pl, REAL *real, ck_index cnt, const ck_index *rows, int conj, REAL *spec,
               ck_index ld, ck_index first, REAL *xi)
{
    const ck_index F = pl->nfreq, G = pl->group;
    REAL *sp = real + G * pl->nreal, *scratch = sp + 2 * G * F;
    if (G == LANES_T) {
        FFT_FORWARD_LANES_T(pl->fft, real, sp, sp + LANES_T * F, scratch, rows);
        for (ck_index f = 0; f < F; ++f)
            STORE_SPECTRA(sp + f * LANES_T, sp + (F + f) * LANES_T, 1, cnt, conj, spec + 2 * (f * ld + first),
                          xi ? xi + 2 * (f * ld + first) : NULL);
    } else {
        FFT_FORWARD_T(pl->fft, cnt, real, sp, scratch, rows);
        for (ck_index f = 0; f < F; ++f)
            STORE_SPECTRA(sp + 2 * f, sp + 2 * f + 1, 2 * F, cnt, conj, spec + 2 * (f * ld + first),
                          xi ? xi + 2 * (f * ld + first) : NULL);
    }
}

/* Kernel image id (= oc * cig + ic of the operator's kernel) into buf (element stride es): the weights,
 * flipped for the backward-input operator, whose kernel [oc = user input channel][ic = user output
 * channel in group] is derived from the user's. Whole images (es == 1) are zeroed here; lane-interleaved
 * buffers are zeroed by WORKER_IMAGES. */
static void GATHER_KERNEL(const ck_conv_fft_plan *pl, const REAL *w, ck_index id, REAL *buf, ck_index es)
{
    const ck_conv_params *p = &pl->p, *u = &pl->user;
    const ck_index cig = ck_conv_in_per_group(p), oc = id / cig, ic = id % cig;
    const ck_index k0 = p->kernel_size[0], k1 = p->kernel_size[1], k2 = p->kernel_size[2];
    const int flip = pl->dir == CK_CONV_BWD_INPUT;
    const REAL *src = w + id * k0 * k1 * k2;
    if (flip) {
        const ck_index ucig = ck_conv_in_per_group(u), ucog = ck_conv_out_per_group(u);
        const ck_index grp = oc / ucig, uci = oc % ucig, uco = grp * ucog + ic;
        src = w + (uco * ucig + uci) * k0 * k1 * k2;
    }
    if (es == 1)
        memset(buf, 0, sizeof(REAL) * (size_t)pl->nreal);
    for (ck_index t0 = 0; t0 < k0; ++t0)
        for (ck_index t1 = 0; t1 < k1; ++t1)
            for (ck_index t2 = 0; t2 < k2; ++t2) {
                const ck_index s = flip ? ((k0 - 1 - t0) * k1 + (k1 - 1 - t1)) * k2 + (k2 - 1 - t2)
                                        : (t0 * k1 + t1) * k2 + t2;
                buf[((t0 * pl->n[1] + t1) * pl->n[2] + t2) * es] = src[s];
            }
}

ck_status FFT_SPECTRUM(const ck_conv_fft_plan *pl, const REAL *w, REAL *spec, int num_threads)
{
    if (ck_conv_fft_dft_chunk(pl) > 0)
        return DFT_SPECTRUM(pl, w, spec, num_threads);
    const ck_conv_params *p = &pl->p;
    const ck_index nimg = p->out_channels * ck_conv_in_per_group(p);
    const ck_index G = pl->group, items = (nimg + G - 1) / G, ld = ck_conv_fft_spec_ld(pl);
    const ck_index team = num_threads > 1 ? num_threads : 1, per = ck_conv_fft_thread_elems(pl);
    /* the kernel fills only these rows of the buffer */
    const ck_index kernel_rows[2] = {p->kernel_size[0], p->kernel_size[1]};
    const ck_index es = G == LANES_T ? LANES_T : 1; /* element stride in a worker's images */
    REAL *tbuf = ck_aligned_alloc(sizeof(REAL) * (size_t)(team * per));
    if (!tbuf)
        return CK_ERR_NOMEM;
#pragma omp parallel for num_threads(ck_team(team, items)) schedule(dynamic)
    for (ck_index it = 0; it < items; ++it) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        const ck_index first = it * G, cnt = nimg - first < G ? nimg - first : G;
        REAL *real = WORKER_IMAGES(pl, tbuf, per);
        for (ck_index q = 0; q < cnt; ++q)
            GATHER_KERNEL(pl, w, first + q, es > 1 ? real + q : real + q * pl->nreal, es);
        FORWARD_IMAGES(pl, real, cnt, kernel_rows, 1, spec, ld, first, NULL); /* conj: correlation */
    }
    ck_aligned_free(tbuf);
    return CK_OK;
}

/* Forward transforms of the block's images (channel c, tile tt) into xs[f][c][nb]. */
static void TRANSFORM_BLOCK(const ck_conv_fft_plan *pl, const REAL *src, ck_index channels, ck_index plane,
                            int is_output, ck_index tb0, ck_index nb, REAL *xs, REAL *tbuf, ck_index team, REAL *xi)
{
    const ck_index G = pl->group, nimg = channels * nb, items = (nimg + G - 1) / G;
    const ck_index per = ck_conv_fft_thread_elems(pl);
    const ck_index tile_rows[2] = {pl->m[0], pl->m[1]}; /* an output tile fills only these rows */
    const ck_index es = G == LANES_T ? LANES_T : 1; /* element stride in a worker's images */
#pragma omp parallel for num_threads(ck_team(team, items)) schedule(dynamic)
    for (ck_index it = 0; it < items; ++it) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        const ck_index first = it * G, cnt = nimg - first < G ? nimg - first : G;
        REAL *real = WORKER_IMAGES(pl, tbuf, per);
        for (ck_index q = 0; q < cnt; ++q) {
            const ck_index id = first + q, c = id / nb, tt = tb0 + id % nb;
            const ck_index n = tt / pl->tiles, tile = tt % pl->tiles;
            const REAL *img = src + (n * channels + c) * plane;
            REAL *buf = es > 1 ? real + q : real + q * pl->nreal;
            if (is_output)
                GATHER_OUTPUT(pl, img, tile, buf, es);
            else
                GATHER_INPUT(pl, img, tile, buf, es);
        }
        FORWARD_IMAGES(pl, real, cnt, is_output ? tile_rows : NULL, 0, xs, nimg, first, xi);
    }
}

/* Inverse transforms of images [first, first + cnt) (cnt <= the plan's group G) of the spectra
 * spec[f][nimg] (interleaved complex), conjugated first when conj, into a worker's buffer `real`
 * (followed by its spectrum and scratch areas, ck_conv_fft_thread_elems). Returns 1 when the images are
 * lane-interleaved (image q at real + q, stride LANES_T), 0 when they are whole (at real + q * nreal).
 * Always inlined, so each caller's copy loop is compiled for its constant conj. */
static inline __attribute__((always_inline)) int
INVERSE_IMAGES(const ck_conv_fft_plan *pl, const REAL *spec, ck_index nimg, ck_index first, ck_index cnt, int conj,
               REAL *real)
{
    const ck_index F = pl->nfreq, G = pl->group;
    REAL *sp = real + G * pl->nreal, *scratch = sp + 2 * G * F;
    if (G == LANES_T) {
        for (ck_index f = 0; f < F; ++f) {
            const REAL *s = spec + 2 * (f * nimg + first);
            REAL *sr = sp + f * LANES_T, *si = sp + (F + f) * LANES_T;
            for (ck_index q = 0; q < cnt; ++q) {
                sr[q] = s[2 * q];
                si[q] = conj ? -s[2 * q + 1] : s[2 * q + 1];
            }
        }
        FFT_INVERSE_LANES_T(pl->fft, sp, sp + LANES_T * F, real, scratch);
        return 1;
    }
    for (ck_index f = 0; f < F; ++f) {
        const REAL *s = spec + 2 * (f * nimg + first);
        REAL *d = sp + 2 * f;
        for (ck_index q = 0; q < cnt; ++q) {
            d[2 * q * F] = s[2 * q];
            d[2 * q * F + 1] = conj ? -s[2 * q + 1] : s[2 * q + 1];
        }
    }
    FFT_INVERSE_T(pl->fft, cnt, sp, real, scratch);
    return 0;
}

/* Inverse transforms of the block's output spectra ys[f][k][nb], crop, 1/N scale and bias into y. */
static void INVERSE_BLOCK(const ck_conv_fft_plan *pl, REAL *ys, ck_index tb0, ck_index nb, const REAL *b, REAL *y,
                          REAL *tbuf, ck_index team)
{
    const ck_conv_params *p = &pl->p;
    const ck_index G = pl->group, per = ck_conv_fft_thread_elems(pl);
    const ck_index out_plane = ck_conv_out_plane(p);
    const REAL scale = (REAL)(1.0 / (double)pl->nreal);
    const ck_index nimg = p->out_channels * nb, items = (nimg + G - 1) / G;
#pragma omp parallel for num_threads(ck_team(team, items)) schedule(dynamic)
    for (ck_index it = 0; it < items; ++it) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        REAL *real = tbuf + (ck_index)CK_THREAD_NUM() * per;
        const ck_index first = it * G, cnt = nimg - first < G ? nimg - first : G;
        const int lanes = INVERSE_IMAGES(pl, ys, nimg, first, cnt, 0, real);
        for (ck_index q = 0; q < cnt; ++q) {
            const ck_index id = first + q, k = id / nb, tt = tb0 + id % nb;
            const ck_index n = tt / pl->tiles, tile = tt % pl->tiles;
            SCATTER_OUTPUT(pl, lanes ? real + q : real + q * pl->nreal, lanes ? LANES_T : 1, tile, scale,
                           b ? b[k] : (REAL)0, y + (n * p->out_channels + k) * out_plane);
        }
    }
}

ck_status FFT_RUN(const ck_conv_fft_plan *pl, const REAL *wspec, const REAL *x, const REAL *b, REAL *y, int num_threads)
{
    const ck_conv_params *p = &pl->p;
    if (p->batch == 0)
        return CK_OK;
    const ck_index F = pl->nfreq, total = p->batch * pl->tiles;
    const ck_index Tb = ck_conv_fft_block_tiles(pl, sizeof(REAL));
    const ck_index team = num_threads > 1 ? num_threads : 1, per = ck_conv_fft_thread_elems(pl);
    REAL *xs = ck_aligned_alloc(sizeof(REAL) * (size_t)(2 * F * p->in_channels * Tb));
    REAL *ys = ck_aligned_alloc(sizeof(REAL) * (size_t)(2 * F * p->out_channels * Tb));
    REAL *tbuf = ck_aligned_alloc(sizeof(REAL) * (size_t)(team * per));
    const int own = ck_conv_fft_own_mac(pl, Tb);
    const ck_index xper = 2 * ck_conv_in_per_group(p) * Tb;
    REAL *xib = own ? ck_aligned_alloc(sizeof(REAL) * (size_t)(team * xper)) : NULL;
    if (!xs || !ys || !tbuf || (own && !xib)) {
        ck_aligned_free(xs);
        ck_aligned_free(ys);
        ck_aligned_free(tbuf);
        ck_aligned_free(xib);
        return CK_ERR_NOMEM;
    }
    int pin; /* the BLAS never threads a per-frequency GEMM; our own MAC does not call it */
    const ck_index blas_team = ck_gemm_team_begin(sizeof(REAL), team, &pin);
    const ck_index mix_team = own ? team : blas_team;
    for (ck_index tb0 = 0; tb0 < total; tb0 += Tb) {
        const ck_index nb = total - tb0 < Tb ? total - tb0 : Tb;
        TRANSFORM_BLOCK(pl, x, p->in_channels, ck_conv_in_plane(p), 0, tb0, nb, xs, tbuf, team, NULL);
#pragma omp parallel for num_threads(ck_team(mix_team, F)) schedule(static)
        for (ck_index f = 0; f < F; ++f)
            if (!ck_interrupt_pending()) /* Ctrl-C (ck_interrupt.h) */
                MIX_FORWARD(pl, wspec, xs, ys, f, nb, xib ? xib + (ck_index)CK_THREAD_NUM() * xper : NULL);
        INVERSE_BLOCK(pl, ys, tb0, nb, b, y, tbuf, team);
    }
    ck_gemm_team_end(pin);
    ck_aligned_free(xs);
    ck_aligned_free(ys);
    ck_aligned_free(tbuf);
    ck_aligned_free(xib);
    return CK_OK;
}

ck_status FFT_RUN_BWD_WEIGHT(const ck_conv_fft_plan *pl, const REAL *dy, const REAL *x, REAL *dw, int num_threads)
{
    const ck_conv_params *p = &pl->p;
    const ck_index cig = ck_conv_in_per_group(p), cog = ck_conv_out_per_group(p);
    const ck_index F = pl->nfreq, G = pl->group, total = p->batch * pl->tiles;
    const ck_index kvol = ck_conv_kernel_volume(p);
    if (p->batch == 0) {
        memset(dw, 0, sizeof(REAL) * (size_t)(p->out_channels * cig * kvol));
        return CK_OK;
    }
    const ck_index Tb = ck_conv_fft_block_tiles(pl, sizeof(REAL));
    const ck_index team = num_threads > 1 ? num_threads : 1, per = ck_conv_fft_thread_elems(pl);
    const REAL scale = (REAL)(1.0 / (double)pl->nreal);
    const ck_index nw = p->out_channels * cig;
    REAL *xs = ck_aligned_alloc(sizeof(REAL) * (size_t)(2 * F * p->in_channels * Tb));
    REAL *ds = ck_aligned_alloc(sizeof(REAL) * (size_t)(2 * F * p->out_channels * Tb));
    REAL *dws = ck_aligned_alloc(sizeof(REAL) * (size_t)(2 * F * nw));
    REAL *tbuf = ck_aligned_alloc(sizeof(REAL) * (size_t)(team * per));
    if (!xs || !ds || !dws || !tbuf) {
        ck_aligned_free(xs);
        ck_aligned_free(ds);
        ck_aligned_free(dws);
        ck_aligned_free(tbuf);
        return CK_ERR_NOMEM;
    }
    int pin; /* the BLAS never threads a per-frequency GEMM */
    const ck_index mix_team = ck_gemm_team_begin(sizeof(REAL), team, &pin);
    for (ck_index tb0 = 0; tb0 < total; tb0 += Tb) {
        const ck_index nb = total - tb0 < Tb ? total - tb0 : Tb;
        TRANSFORM_BLOCK(pl, x, p->in_channels, ck_conv_in_plane(p), 0, tb0, nb, xs, tbuf, team, NULL);
        TRANSFORM_BLOCK(pl, dy, p->out_channels, ck_conv_out_plane(p), 1, tb0, nb, ds, tbuf, team, NULL);
        const int acc = tb0 > 0, blas = cig * cog * nb >= 512;
#pragma omp parallel for num_threads(ck_team(mix_team, F)) schedule(static)
        for (ck_index f = 0; f < F; ++f)
            for (ck_index g = 0; g < p->groups && !ck_interrupt_pending(); ++g) {
                const REAL *A = ds + 2 * (f * p->out_channels + g * cog) * nb;
                const REAL *B = xs + 2 * (f * p->in_channels + g * cig) * nb;
                REAL *C = dws + 2 * (f * nw + g * cog * cig);
                if (blas)
                    CGEMM(CK_OP_N, CK_OP_C, cog, cig, nb, A, nb, B, nb, acc, C, cig);
                else
                    CGEMM_NAIVE(CK_OP_N, CK_OP_C, cog, cig, nb, A, nb, B, nb, acc, C, cig);
            }
    }
    ck_gemm_team_end(pin);
    const ck_index items = (nw + G - 1) / G;
    const ck_index k0 = p->kernel_size[0], k1 = p->kernel_size[1], k2 = p->kernel_size[2];
#pragma omp parallel for num_threads(ck_team(team, items)) schedule(dynamic)
    for (ck_index it = 0; it < items; ++it) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        REAL *real = tbuf + (ck_index)CK_THREAD_NUM() * per;
        const ck_index first = it * G, cnt = nw - first < G ? nw - first : G;
        const int lanes = INVERSE_IMAGES(pl, dws, nw, first, cnt, 1, real); /* conj: see the contract */
        const ck_index es = lanes ? LANES_T : 1;
        for (ck_index q = 0; q < cnt; ++q) {
            const REAL *r = lanes ? real + q : real + q * pl->nreal;
            REAL *d = dw + (first + q) * kvol;
            for (ck_index t0 = 0; t0 < k0; ++t0)
                for (ck_index t1 = 0; t1 < k1; ++t1)
                    for (ck_index t2 = 0; t2 < k2; ++t2)
                        d[(t0 * k1 + t1) * k2 + t2] = r[((t0 * pl->n[1] + t1) * pl->n[2] + t2) * es] * scale;
        }
    }
    ck_aligned_free(xs);
    ck_aligned_free(ds);
    ck_aligned_free(dws);
    ck_aligned_free(tbuf);
    return CK_OK;
}

/* Plain forward-type run without a stored kernel spectrum (contract: conv_fft.c, "fused plain run"):
 * one tile block; per chunk of QC output channels, the chunk's kernel spectrum W (split re/im, in the
 * worker's cache) and at once its products Y[f][co][.] = W[f][co][.] X[f] for every f. */
static ck_status FUSED_RUN(const ck_conv_fft_plan *pl, const REAL *w, const REAL *x, const REAL *b, REAL *y,
                           int num_threads)
{
    const ck_conv_params *p = &pl->p;
    const ck_index F = pl->nfreq, nb = p->batch * pl->tiles, cin = p->in_channels, cout = p->out_channels;
    const ck_index N1 = pl->n[1], nh = pl->n[2] / 2 + 1;
    const ck_index QC = ck_conv_fft_fused_channels(pl, sizeof(REAL)), Q = QC * cin, chunks = (cout + QC - 1) / QC;
    const ck_index team = num_threads > 1 ? num_threads : 1, per = ck_conv_fft_thread_elems(pl);
    const ck_index dper = DFT_CHUNK_ELEMS(pl, Q);
    REAL *xs = ck_aligned_alloc(sizeof(REAL) * (size_t)(4 * F * cin * nb)); /* X, then i X */
    REAL *ys = ck_aligned_alloc(sizeof(REAL) * (size_t)(2 * F * cout * nb));
    REAL *tbuf = ck_aligned_alloc(sizeof(REAL) * (size_t)(team * (per > dper ? per : dper)));
    REAL *tab = ck_aligned_alloc(sizeof(REAL) * (size_t)DFT_TAB_ELEMS(pl));
    if (!xs || !ys || !tbuf || !tab) {
        ck_aligned_free(xs);
        ck_aligned_free(ys);
        ck_aligned_free(tbuf);
        ck_aligned_free(tab);
        return CK_ERR_NOMEM;
    }
    REAL *xi = xs + 2 * F * cin * nb;
    DFT_TABLES(pl, tab);
    TRANSFORM_BLOCK(pl, x, cin, ck_conv_in_plane(p), 0, 0, nb, xs, tbuf, team, xi);
    int pin;
    const ck_index dft_team = ck_gemm_team_begin(sizeof(REAL), team, &pin);
#pragma omp parallel for num_threads(ck_team(dft_team, chunks)) schedule(dynamic)
    for (ck_index ch = 0; ch < chunks; ++ch) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        REAL *kb = tbuf + (ck_index)CK_THREAD_NUM() * (per > dper ? per : dper);
        const ck_index co0 = ch * QC, nco = cout - co0 < QC ? cout - co0 : QC;
        DFT_CHUNK(pl, w, tab, co0 * cin, nco * cin, Q, kb);
        const REAL *W = kb + dper - 2 * N1 * nh * Q;
        for (ck_index f1 = 0; f1 < N1 && !ck_interrupt_pending(); ++f1) /* Ctrl-C (ck_interrupt.h) */
            for (ck_index f2 = 0; f2 < nh; ++f2) {
                const ck_index f = f1 * nh + f2;
                const REAL *wr = W + (2 * f1 * nh + f2) * Q;
                MAC(nco, cin, 2 * nb, wr, wr + nh * Q, cin, 1, xs + 2 * f * cin * nb, xi + 2 * f * cin * nb, 2 * nb,
                    ys + 2 * (f * cout + co0) * nb, 2 * nb);
            }
    }
    ck_gemm_team_end(pin);
    INVERSE_BLOCK(pl, ys, 0, nb, b, y, tbuf, team);
    ck_aligned_free(xs);
    ck_aligned_free(ys);
    ck_aligned_free(tbuf);
    ck_aligned_free(tab);
    return CK_OK;
}

/* ---- plain entry points: a plan and a kernel spectrum per call ---- */

static ck_status PLAIN_RUN(const ck_conv_params *p, ck_conv_direction dir, const REAL *in, const REAL *w,
                           const REAL *b, REAL *out)
{
    ck_conv_fft_plan *pl = NULL;
    ck_index tile[3];
    ck_status st = ck_conv_fft_plan_create(p, dir, ck_conv_fft_env_tile(p, dir, tile) ? tile : NULL, sizeof(REAL), &pl);
    if (st != CK_OK)
        return st;
    if (p->batch > 0 && ck_conv_fft_fused_channels(pl, sizeof(REAL)) > 0) {
        st = FUSED_RUN(pl, w, in, b, out, p->num_threads);
        ck_conv_fft_plan_destroy(pl);
        return st;
    }
    REAL *spec = ck_aligned_alloc(sizeof(REAL) * 2 * ck_conv_fft_spectrum_elems(pl));
    if (!spec) {
        ck_conv_fft_plan_destroy(pl);
        return CK_ERR_NOMEM;
    }
    st = FFT_SPECTRUM(pl, w, spec, p->num_threads);
    if (st == CK_OK)
        st = FFT_RUN(pl, spec, in, b, out, p->num_threads);
    ck_aligned_free(spec);
    ck_conv_fft_plan_destroy(pl);
    return st;
}

ck_status FFT_FWD(const ck_conv_params *p, const REAL *x, const REAL *w, const REAL *b, REAL *y)
{
    return PLAIN_RUN(p, CK_CONV_FWD, x, w, b, y);
}

ck_status FFT_BWD_INPUT(const ck_conv_params *p, const REAL *dy, const REAL *w, REAL *dx)
{
    return PLAIN_RUN(p, CK_CONV_BWD_INPUT, dy, w, NULL, dx);
}

ck_status FFT_BWD_WEIGHT(const ck_conv_params *p, const REAL *dy, const REAL *x, REAL *dw)
{
    ck_conv_fft_plan *pl = NULL;
    ck_status st = ck_conv_fft_plan_create(p, CK_CONV_BWD_WEIGHT, NULL, sizeof(REAL), &pl);
    if (st != CK_OK)
        return st;
    st = FFT_RUN_BWD_WEIGHT(pl, dy, x, dw, p->num_threads);
    ck_conv_fft_plan_destroy(pl);
    return st;
}

#undef REAL
#undef LANES_T
#undef FFT_FORWARD_LANES_T
#undef FFT_INVERSE_LANES_T
#undef FFT_FORWARD_T
#undef FFT_INVERSE_T
#undef CGEMM
#undef GEMM
#undef MAC
#undef DFT_SPECTRUM
#undef DFT_TABLES
#undef DFT_CHUNK
#undef INVERSE_IMAGES
#undef FORWARD_IMAGES
#undef STORE_SPECTRA
#undef WORKER_IMAGES
#undef GATHER_KERNEL
#undef INVERSE_BLOCK
#undef FUSED_RUN
#undef CGEMM_NAIVE
#undef TILE_BOX
#undef GATHER_INPUT
#undef GATHER_OUTPUT
#undef SCATTER_OUTPUT
#undef MIX_FORWARD
#undef TRANSFORM_BLOCK
#undef PLAIN_RUN
#undef FFT_SPECTRUM
#undef FFT_RUN
#undef FFT_RUN_BWD_WEIGHT
#undef FFT_FWD
#undef FFT_BWD_INPUT
#undef FFT_BWD_WEIGHT
