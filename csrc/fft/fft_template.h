/*
 * fft_template.h -- the batched transforms of ck_fft.h for one element type and one instruction set.
 * Included by fft_{f32,f64}_{generic,avx2,avx512}.c with REAL, LANES, TW (the plan's twiddle field for REAL),
 * POST (the real-axis twiddles) and the two public names FFT_FORWARD / FFT_INVERSE #defined.
 * The static helpers keep plain names: each includer is its own translation unit.
 *
 * Every butterfly works on LANES independent lines stored [length][LANES] (split re/im), written on GCC
 * vector types (`vec`, the widest vectors of the includer's instruction set: NV vectors of VL lanes per
 * element), so the code is SIMD whatever gcc's alias analysis concludes (plain per-lane loops were
 * compiled to scalar code). Copies between interleaved complex data and the split buffers use shuffles
 * for (de)interleaving and VL x VL transposes for the real-axis lines (one image row per lane).
 */
#include <string.h>

#include "fft_kernels.h"

#define AT(i) ((i) * LANES + l)

/* SIMD vectors of the includer's instruction set (CK_VBYTES of its ck_simd_<isa>.h; wider if the whole
 * build targets more, e.g. CNNKERN_NATIVE=1). */
#if defined(__AVX512F__)
#define VBYTES 64
#elif defined(__AVX__) && CK_VBYTES < 32
#define VBYTES 32
#else
#define VBYTES CK_VBYTES
#endif
#define VL ((int)(VBYTES / sizeof(REAL)))
#define NV (LANES / VL)
typedef REAL vec __attribute__((vector_size(VBYTES), aligned(sizeof(REAL))));
/* vector v of element i of a [n][LANES] buffer (an lvalue; unaligned access) */
#define VAT(p, i) (*(vec *)((p) + (i) * LANES + v * VL))
#define VLD(p, i) (*(const vec *)((p) + (i) * LANES + v * VL))

/* Shuffles (constant masks) for the copies between interleaved complex data and the split [.][LANES]
 * buffers: deinterleave / interleave, and VL x VL transposes for the real-axis lines (one line per lane). */
#define VLPP (VBYTES / (LANES == 8 ? 8 : 4)) /* VL for the preprocessor */
#if LANES == 8
typedef long long ivec __attribute__((vector_size(VBYTES)));
#else
typedef int ivec __attribute__((vector_size(VBYTES)));
#endif
#if VLPP == 2
#define MK(F, d) F(d, 0), F(d, 1)
#elif VLPP == 4
#define MK(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3)
#elif VLPP == 8
#define MK(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4), F(d, 5), F(d, 6), F(d, 7)
#else
#define MK(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4), F(d, 5), F(d, 6), F(d, 7), \
                 F(d, 8), F(d, 9), F(d, 10), F(d, 11), F(d, 12), F(d, 13), F(d, 14), F(d, 15)
#endif
/* SHUF(a, b, F, d): lane i of the result is lane F(d, i) of the concatenation a:b (gcc and clang spell it
 * differently: a mask vector or a list of constants). */
#if defined(__clang__)
#define SHUF(a, b, F, d) __builtin_shufflevector((a), (b), MK(F, d))
#else
#define SHUF(a, b, F, d) __builtin_shuffle((a), (b), (ivec){MK(F, d)})
#endif
#define M_EVEN(d, i) (2 * (i))
#define M_ODD(d, i) (2 * (i) + 1)
#define M_ILO(d, i) ((i) % 2 ? VLPP + (i) / 2 : (i) / 2)
#define M_IHI(d, i) ((i) % 2 ? VLPP + VLPP / 2 + (i) / 2 : VLPP / 2 + (i) / 2)
#define M_TLO(d, i) (((i) & (d)) ? VLPP + (i) - (d) : (i))
#define M_THI(d, i) (((i) & (d)) ? VLPP + (i) : (i) + (d))

static inline vec deint_re(vec a, vec b) { return SHUF(a, b, M_EVEN, 0); }
static inline vec deint_im(vec a, vec b) { return SHUF(a, b, M_ODD, 0); }
static inline vec inter_lo(vec re, vec im) { return SHUF(re, im, M_ILO, 0); }
static inline vec inter_hi(vec re, vec im) { return SHUF(re, im, M_IHI, 0); }

/* x[r][c] -> x[c][r] for a VL x VL block held as VL vectors (block swaps at distances VL/2 ... 1). */
#define TSTAGE(d)                                                                 \
    for (int r = 0; r < VL; ++r)                                                  \
        if (!(r & (d))) {                                                         \
            const vec a = x[r], b = x[r + (d)];                                   \
            x[r] = SHUF(a, b, M_TLO, d);                                          \
            x[r + (d)] = SHUF(a, b, M_THI, d);                                    \
        }
static inline void transpose_vl(vec *x)
{
#if VLPP > 8
    TSTAGE(8)
#endif
#if VLPP > 4
    TSTAGE(4)
#endif
#if VLPP > 2
    TSTAGE(2)
#endif
    TSTAGE(1)
}
#undef TSTAGE

/* ar[j][l] = row[l][2j], ai[j][l] = row[l][2j + 1] for j < len, l < LANES (interleaved complex lines to
 * the split lane layout). */
static void gather_lines(const REAL *const *row, ck_index len, REAL *restrict ar, REAL *restrict ai)
{
    ck_index j0 = 0;
    for (; j0 + VL <= len; j0 += VL)
        for (int v = 0; v < NV; ++v) {
            vec xr[VLPP], xi[VLPP];
            for (int r = 0; r < VL; ++r) {
                const REAL *src = row[v * VL + r] + 2 * j0;
                const vec a = *(const vec *)src, b = *(const vec *)(src + VL);
                xr[r] = deint_re(a, b);
                xi[r] = deint_im(a, b);
            }
            transpose_vl(xr);
            transpose_vl(xi);
            for (int c = 0; c < VL; ++c) {
                VAT(ar, j0 + c) = xr[c];
                VAT(ai, j0 + c) = xi[c];
            }
        }
    for (int l = 0; l < LANES; ++l)
        for (ck_index j = j0; j < len; ++j) {
            ar[AT(j)] = row[l][2 * j];
            ai[AT(j)] = row[l][2 * j + 1];
        }
}

/* row[l][2j] = ar[j][l], row[l][2j + 1] = ai[j][l] for j < len, l < cnt (the inverse of gather_lines). */
static void scatter_lines(REAL *const *row, int cnt, ck_index len, const REAL *restrict ar, const REAL *restrict ai)
{
    ck_index j0 = 0;
    for (; j0 + VL <= len; j0 += VL)
        for (int v = 0; v < NV && v * VL < cnt; ++v) {
            vec xr[VLPP], xi[VLPP];
            for (int c = 0; c < VL; ++c) {
                xr[c] = VLD(ar, j0 + c);
                xi[c] = VLD(ai, j0 + c);
            }
            transpose_vl(xr);
            transpose_vl(xi);
            for (int r = 0; r < VL && v * VL + r < cnt; ++r) {
                REAL *dst = row[v * VL + r] + 2 * j0;
                *(vec *)dst = inter_lo(xr[r], xi[r]);
                *(vec *)(dst + VL) = inter_hi(xr[r], xi[r]);
            }
        }
    for (int l = 0; l < cnt; ++l)
        for (ck_index j = j0; j < len; ++j) {
            row[l][2 * j] = ar[AT(j)];
            row[l][2 * j + 1] = ai[AT(j)];
        }
}

/* The count twiddles (re, im pairs at t) of one butterfly column, conjugated for the inverse. */
static inline void stage_twiddles(const REAL *t, int count, int inv, REAL *wr, REAL *wi)
{
    for (int q = 0; q < count; ++q) {
        wr[q] = t[2 * q];
        wi[q] = inv ? -t[2 * q + 1] : t[2 * q + 1];
    }
}

/* Inputs 1..count of the butterfly at column j (vector v), each times its twiddle: x[q-1] = in[j + q*m] w[q-1]. */
static inline void twiddled_inputs(const REAL *restrict ir, const REAL *restrict ii, ck_index j, ck_index m, int v,
                                   int count, const REAL *wr, const REAL *wi, vec *xr, vec *xi)
{
    for (int q = 0; q < count; ++q) {
        const vec br = VLD(ir, j + (q + 1) * m), bi = VLD(ii, j + (q + 1) * m);
        xr[q] = br * wr[q] - bi * wi[q];
        xi[q] = br * wi[q] + bi * wr[q];
    }
}

/* The butterflies: the R-point DFT of x[0..R-1] (the twiddled inputs) into y[0..R-1]; s = -1 for the
 * forward transform, +1 for the inverse. */
static inline void butterfly2(const vec *xr, const vec *xi, REAL s, vec *yr, vec *yi)
{
    (void)s;
    yr[0] = xr[0] + xr[1];
    yi[0] = xi[0] + xi[1];
    yr[1] = xr[0] - xr[1];
    yi[1] = xi[0] - xi[1];
}

/* dft4 of (x0, x1, x2, x3): y1 = t1 + s i t3 */
static inline void dft4(vec x0r, vec x0i, vec x1r, vec x1i, vec x2r, vec x2i, vec x3r, vec x3i, REAL s, vec *yr,
                        vec *yi)
{
    const vec t0r = x0r + x2r, t0i = x0i + x2i, t1r = x0r - x2r, t1i = x0i - x2i;
    const vec t2r = x1r + x3r, t2i = x1i + x3i, t3r = x1r - x3r, t3i = x1i - x3i;
    yr[0] = t0r + t2r;
    yi[0] = t0i + t2i;
    yr[1] = t1r - s * t3i;
    yi[1] = t1i + s * t3r;
    yr[2] = t0r - t2r;
    yi[2] = t0i - t2i;
    yr[3] = t1r + s * t3i;
    yi[3] = t1i - s * t3r;
}

static inline void butterfly4(const vec *xr, const vec *xi, REAL s, vec *yr, vec *yi)
{
    dft4(xr[0], xi[0], xr[1], xi[1], xr[2], xi[2], xr[3], xi[3], s, yr, yi);
}

/* Two radix-4 butterflies on the even and odd inputs, joined with e^{-+2 pi i k / 8}. */
static inline void butterfly8(const vec *xr, const vec *xi, REAL s, vec *yr, vec *yi)
{
    const REAL c = (REAL)0.70710678118654752440;
    vec er[4], ei[4], odr[4], odi[4];
    dft4(xr[0], xi[0], xr[2], xi[2], xr[4], xi[4], xr[6], xi[6], s, er, ei);
    dft4(xr[1], xi[1], xr[3], xi[3], xr[5], xi[5], xr[7], xi[7], s, odr, odi);
    /* O[k] *= W8^k: W8 = c (1 + s i), W8^2 = s i, W8^3 = c (-1 + s i) */
    const vec o1r = c * (odr[1] - s * odi[1]), o1i = c * (odi[1] + s * odr[1]);
    const vec o2r = -s * odi[2], o2i = s * odr[2];
    const vec o3r = c * (-odr[3] - s * odi[3]), o3i = c * (-odi[3] + s * odr[3]);
    odr[1] = o1r;
    odi[1] = o1i;
    odr[2] = o2r;
    odi[2] = o2i;
    odr[3] = o3r;
    odi[3] = o3i;
    for (int q = 0; q < 4; ++q) {
        yr[q] = er[q] + odr[q];
        yi[q] = ei[q] + odi[q];
        yr[q + 4] = er[q] - odr[q];
        yi[q + 4] = ei[q] - odi[q];
    }
}

static inline void butterfly3(const vec *xr, const vec *xi, REAL s, vec *yr, vec *yi)
{
    const REAL h = (REAL)0.86602540378443864676 * s; /* s * sin(2 pi / 3) */
    const vec t1r = xr[1] + xr[2], t1i = xi[1] + xi[2];
    const vec t2r = xr[0] - (REAL)0.5 * t1r, t2i = xi[0] - (REAL)0.5 * t1i;
    const vec t3r = h * (xr[1] - xr[2]), t3i = h * (xi[1] - xi[2]);
    yr[0] = xr[0] + t1r;
    yi[0] = xi[0] + t1i;
    yr[1] = t2r - t3i;
    yi[1] = t2i + t3r;
    yr[2] = t2r + t3i;
    yi[2] = t2i - t3r;
}

static inline void butterfly5(const vec *xr, const vec *xi, REAL s, vec *yr, vec *yi)
{
    const REAL c1 = (REAL)0.30901699437494742410, c2 = (REAL)-0.80901699437494742410;
    const REAL s1 = s * (REAL)0.95105651629515357212, s2 = s * (REAL)0.58778525229247312917;
    const vec t1r = xr[1] + xr[4], t1i = xi[1] + xi[4];
    const vec t2r = xr[2] + xr[3], t2i = xi[2] + xi[3];
    const vec t3r = xr[1] - xr[4], t3i = xi[1] - xi[4];
    const vec t4r = xr[2] - xr[3], t4i = xi[2] - xi[3];
    const vec p1r = xr[0] + c1 * t1r + c2 * t2r, p1i = xi[0] + c1 * t1i + c2 * t2i;
    const vec p2r = xr[0] + c2 * t1r + c1 * t2r, p2i = xi[0] + c2 * t1i + c1 * t2i;
    const vec q1r = s1 * t3r + s2 * t4r, q1i = s1 * t3i + s2 * t4i; /* X1 = p1 + i q1 */
    const vec q2r = s2 * t3r - s1 * t4r, q2i = s2 * t3i - s1 * t4i; /* X2 = p2 + i q2 */
    yr[0] = xr[0] + t1r + t2r;
    yi[0] = xi[0] + t1i + t2i;
    yr[1] = p1r - q1i;
    yi[1] = p1i + q1r;
    yr[4] = p1r + q1i;
    yi[4] = p1i - q1r;
    yr[2] = p2r - q2i;
    yi[2] = p2i + q2r;
    yr[3] = p2r + q2i;
    yi[3] = p2i - q2r;
}

typedef void (*butterfly_fn)(const vec *xr, const vec *xi, REAL s, vec *yr, vec *yi);

/* One Stockham stage of radix R: in[j + q*m] (m = n/R) times its twiddle, the butterfly, then
 * out[(j/ns)*ns*R + j%ns + q*ns]. Always inlined, so each stage_radixR is compiled with R and its
 * butterfly constant. */
static inline __attribute__((always_inline)) void stockham_stage(int R, butterfly_fn butterfly, ck_index n,
                                                                 ck_index ns, const REAL *tw, int inv,
                                                                 const REAL *restrict ir, const REAL *restrict ii,
                                                                 REAL *restrict or_, REAL *restrict oi)
{
    const ck_index m = n / R;
    const REAL s = inv ? (REAL)1 : (REAL)-1;
    for (ck_index jb = 0; jb < m; jb += ns)
        for (ck_index k = 0; k < ns; ++k) {
            const ck_index j = jb + k, o = jb * R + k;
            REAL wr[7], wi[7];
            stage_twiddles(tw + 2 * (R - 1) * k, R - 1, inv, wr, wi);
            for (int v = 0; v < NV; ++v) {
                vec xr[8], xi[8], yr[8], yi[8];
                xr[0] = VLD(ir, j);
                xi[0] = VLD(ii, j);
                twiddled_inputs(ir, ii, j, m, v, R - 1, wr, wi, xr + 1, xi + 1);
                butterfly(xr, xi, s, yr, yi);
                for (int q = 0; q < R; ++q) {
                    VAT(or_, o + q * ns) = yr[q];
                    VAT(oi, o + q * ns) = yi[q];
                }
            }
        }
}

#define STOCKHAM_STAGE(R)                                                                                     \
    static void stage_radix##R(ck_index n, ck_index ns, const REAL *tw, int inv, const REAL *restrict ir,     \
                               const REAL *restrict ii, REAL *restrict or_, REAL *restrict oi)                \
    {                                                                                                         \
        stockham_stage(R, butterfly##R, n, ns, tw, inv, ir, ii, or_, oi);                                     \
    }
STOCKHAM_STAGE(2)
STOCKHAM_STAGE(3)
STOCKHAM_STAGE(4)
STOCKHAM_STAGE(5)
STOCKHAM_STAGE(8)
#undef STOCKHAM_STAGE

/* The nh = n2/2+1 bins of LANES real lines of length n2 from (zr, zi) [h][LANES], the half-length
 * transforms of z[j] = x[2j] + i x[2j+1]: X[k] = E[k] + W^k O[k], E and O the even/odd sample spectra
 * (post = W^k); written to (xr, xi) [nh][LANES]. */
static inline void split_real_bins(const REAL *zr, const REAL *zi, ck_index h, ck_index nh, const REAL *post,
                                   REAL *xr, REAL *xi)
{
    for (ck_index k = 0; k < nh; ++k) {
        const ck_index kk = k % h, km = (h - k) % h;
        const REAL wr = post[2 * k], wi = post[2 * k + 1];
        for (int v = 0; v < NV; ++v) {
            const vec ar_ = VLD(zr, kk), ai_ = VLD(zi, kk), br_ = VLD(zr, km), bi_ = -VLD(zi, km);
            const vec er = (REAL)0.5 * (ar_ + br_), ei = (REAL)0.5 * (ai_ + bi_);
            /* odd part (a - b) / (2i) */
            const vec orr = (REAL)0.5 * (ai_ - bi_), oii = (REAL)-0.5 * (ar_ - br_);
            VAT(xr, k) = er + orr * wr - oii * wi;
            VAT(xi, k) = ei + orr * wi + oii * wr;
        }
    }
}

/* The inverse of split_real_bins: from the bins (xr_, xi_) [nh][LANES] to the half-length spectra
 * Z[k] = E + i O (E = X[k] + conj X[h-k], O = (X[k] - conj X[h-k]) W^-k: twice the even/odd half
 * spectra) in (ar, ai) [h][LANES]. */
static inline void merge_real_bins(const REAL *xr_, const REAL *xi_, ck_index h, const REAL *post, REAL *ar,
                                   REAL *ai)
{
    for (ck_index k = 0; k < h; ++k) {
        const REAL wr = post[2 * k], wi = -post[2 * k + 1];
        for (int v = 0; v < NV; ++v) {
            const vec xr = VLD(xr_, k), xi = VLD(xi_, k), yr = VLD(xr_, h - k), yi = -VLD(xi_, h - k);
            const vec er = xr + yr, ei = xi + yi, dr = xr - yr, di = xi - yi;
            const vec orr = dr * wr - di * wi, oii = dr * wi + di * wr;
            VAT(ar, k) = er - oii;
            VAT(ai, k) = ei + orr;
        }
    }
}

/* Complex transform of LANES lines held in (ar, ai) [n][LANES]; (br, bi) is the ping-pong buffer.
 * Returns 0 if the result is in a, 1 if in b. */
static int c2c_lanes(const ck_fft_1d *t, int inv, REAL *ar, REAL *ai, REAL *br, REAL *bi)
{
    const ck_index n = t->n;
    ck_index ns = 1;
    int in_b = 0;
    for (int s = 0; s < t->nstages; ++s) {
        const REAL *tw = t->TW + 2 * t->tw_offset[s];
        const REAL *ir = in_b ? br : ar, *ii = in_b ? bi : ai;
        REAL *or_ = in_b ? ar : br, *oi = in_b ? ai : bi;
        switch (t->radix[s]) {
        case 8: stage_radix8(n, ns, tw, inv, ir, ii, or_, oi); break;
        case 4: stage_radix4(n, ns, tw, inv, ir, ii, or_, oi); break;
        case 2: stage_radix2(n, ns, tw, inv, ir, ii, or_, oi); break;
        case 3: stage_radix3(n, ns, tw, inv, ir, ii, or_, oi); break;
        default: stage_radix5(n, ns, tw, inv, ir, ii, or_, oi); break;
        }
        ns *= t->radix[s];
        in_b = !in_b;
    }
    return in_b;
}

/* Complex lines of one axis: line q (0 <= q < count) starts at complex offset
 * (q / inner) * len * inner + q % inner and has stride `inner`. Transformed in place. */
static void c2c_axis(const ck_fft_1d *t, int inv, ck_index count, ck_index inner, REAL *spec, REAL *scratch,
                     ck_index buf_elems)
{
    const ck_index len = t->n;
    REAL *ar = scratch, *ai = scratch + buf_elems, *br = scratch + 2 * buf_elems, *bi = scratch + 3 * buf_elems;
    for (ck_index q0 = 0; q0 < count; q0 += LANES) {
        const int cnt = count - q0 < LANES ? (int)(count - q0) : LANES;
        const ck_index b0 = (q0 / inner) * len * inner + q0 % inner;
        /* contiguous lanes when the group does not cross an `inner` boundary (the usual case) */
        const int contiguous = cnt == LANES && (q0 % inner) + LANES <= inner;
        if (contiguous) {
            for (ck_index i = 0; i < len; ++i) {
                const REAL *src = spec + 2 * (b0 + i * inner);
                for (int v = 0; v < NV; ++v) {
                    const vec a = *(const vec *)(src + 2 * v * VL), b = *(const vec *)(src + 2 * v * VL + VL);
                    VAT(ar, i) = deint_re(a, b);
                    VAT(ai, i) = deint_im(a, b);
                }
            }
        } else {
            for (int l = 0; l < LANES; ++l) {
                const ck_index q = q0 + (l < cnt ? l : 0);
                const REAL *src = spec + 2 * ((q / inner) * len * inner + q % inner);
                for (ck_index i = 0; i < len; ++i) {
                    ar[AT(i)] = l < cnt ? src[2 * i * inner] : (REAL)0;
                    ai[AT(i)] = l < cnt ? src[2 * i * inner + 1] : (REAL)0;
                }
            }
        }
        const int in_b = c2c_lanes(t, inv, ar, ai, br, bi);
        const REAL *rr = in_b ? br : ar, *ri = in_b ? bi : ai;
        if (contiguous) {
            for (ck_index i = 0; i < len; ++i) {
                REAL *dst = spec + 2 * (b0 + i * inner);
                for (int v = 0; v < NV; ++v) {
                    const vec re = VLD(rr, i), im = VLD(ri, i);
                    *(vec *)(dst + 2 * v * VL) = inter_lo(re, im);
                    *(vec *)(dst + 2 * v * VL + VL) = inter_hi(re, im);
                }
            }
        } else {
            for (int l = 0; l < cnt; ++l) {
                const ck_index q = q0 + l;
                REAL *dst = spec + 2 * ((q / inner) * len * inner + q % inner);
                for (ck_index i = 0; i < len; ++i) {
                    dst[2 * i * inner] = rr[AT(i)];
                    dst[2 * i * inner + 1] = ri[AT(i)];
                }
            }
        }
    }
}

void FFT_FORWARD(const ck_fft_plan *p, ck_index batch, const REAL *r, REAL *spec, REAL *scratch,
                 const ck_index *nonzero)
{
    const ck_index n2 = p->n[2], h = n2 / 2, nh = p->nh;
    const ck_index buf = ck_fft__main_buf(p);
    REAL *ar = scratch, *ai = scratch + buf, *br = scratch + 2 * buf, *bi = scratch + 3 * buf;
    const REAL *post = p->POST;
    /* real axis: z[j] = x[2j] + i x[2j+1], half-length FFT, then split into the n2/2+1 bins */
    /* only the lines inside the nonzero box: line q of the box is full line `full(q)` */
    const ck_index n0 = p->n[0], n1 = p->n[1];
    const ck_index r0 = nonzero && nonzero[0] < n0 ? nonzero[0] : n0, r1 = nonzero && nonzero[1] < n1 ? nonzero[1] : n1;
    if (r0 < n0 || r1 < n1)
        memset(spec, 0, sizeof(REAL) * 2 * (size_t)(batch * n0 * n1 * nh));
#define FULL_LINE(q) ((((q) / (r0 * r1)) * n0 + ((q) % (r0 * r1)) / r1) * n1 + (q) % r1)
    const ck_index lines = batch * r0 * r1;
    for (ck_index q0 = 0; q0 < lines; q0 += LANES) {
        const int cnt = lines - q0 < LANES ? (int)(lines - q0) : LANES;
        const REAL *rows[LANES];
        for (int l = 0; l < LANES; ++l)
            rows[l] = r + FULL_LINE(q0 + (l < cnt ? l : 0)) * n2;
        gather_lines(rows, h, ar, ai);
        const int in_b = c2c_lanes(&p->half, 0, ar, ai, br, bi);
        const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
        REAL *xr = in_b ? ar : br, *xi = in_b ? ai : bi; /* free buffer: [nh][LANES] fits (buf >= nh*LANES) */
        split_real_bins(zr, zi, h, nh, post, xr, xi);
        REAL *drows[LANES];
        for (int l = 0; l < LANES; ++l)
            drows[l] = spec + 2 * FULL_LINE(q0 + (l < cnt ? l : 0)) * nh;
        scatter_lines(drows, cnt, nh, xr, xi);
    }
#undef FULL_LINE
    const ck_index plane = p->n[0] * p->n[1] * nh;
    if (p->n[1] > 1)
        c2c_axis(&p->axis[1], 0, batch * plane / p->n[1], nh, spec, scratch, buf);
    if (p->n[0] > 1)
        c2c_axis(&p->axis[0], 0, batch * plane / p->n[0], p->n[1] * nh, spec, scratch, buf);
}

void FFT_INVERSE(const ck_fft_plan *p, ck_index batch, REAL *spec, REAL *r, REAL *scratch)
{
    const ck_index n2 = p->n[2], h = n2 / 2, nh = p->nh;
    const ck_index buf = ck_fft__main_buf(p);
    REAL *ar = scratch, *ai = scratch + buf, *br = scratch + 2 * buf, *bi = scratch + 3 * buf;
    const REAL *post = p->POST;
    const ck_index plane = p->n[0] * p->n[1] * nh;
    if (p->n[0] > 1)
        c2c_axis(&p->axis[0], 1, batch * plane / p->n[0], p->n[1] * nh, spec, scratch, buf);
    if (p->n[1] > 1)
        c2c_axis(&p->axis[1], 1, batch * plane / p->n[1], nh, spec, scratch, buf);
    const ck_index lines = batch * p->n[0] * p->n[1];
    for (ck_index q0 = 0; q0 < lines; q0 += LANES) {
        const int cnt = lines - q0 < LANES ? (int)(lines - q0) : LANES;
        /* the nh bins into (br, bi), merged into the half-length spectra in (ar, ai) */
        const REAL *rows[LANES];
        for (int l = 0; l < LANES; ++l)
            rows[l] = spec + 2 * (q0 + (l < cnt ? l : 0)) * nh;
        gather_lines(rows, nh, br, bi);
        merge_real_bins(br, bi, h, post, ar, ai);
        /* (br, bi) is free again: the ping-pong buffer */
        const int in_b = c2c_lanes(&p->half, 1, ar, ai, br, bi);
        const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
        REAL *drows[LANES];
        for (int l = 0; l < LANES; ++l)
            drows[l] = r + (q0 + (l < cnt ? l : 0)) * n2;
        scatter_lines(drows, cnt, h, zr, zi);
    }
}

/* ---- lane-interleaved images: LANES images at once, image l in lane l of every element ---- */

/* Complex transform in place along one axis of a lane-interleaved split spectrum: line elements at
 * (base + i * stride) * LANES, i < t->n, for each base of the `count` lines given by (outer, inner). */
static void c2c_axis_lanes(const ck_fft_1d *t, int inv, ck_index outer, ck_index inner, REAL *sr, REAL *si,
                           REAL *scratch, ck_index buf)
{
    const ck_index len = t->n, stride = inner;
    REAL *ar = scratch, *ai = scratch + buf, *br = scratch + 2 * buf, *bi = scratch + 3 * buf;
    for (ck_index o = 0; o < outer; ++o)
        for (ck_index k = 0; k < inner; ++k) {
            const ck_index base = o * len * inner + k;
            for (ck_index i = 0; i < len; ++i)
                for (int v = 0; v < NV; ++v) {
                    VAT(ar, i) = VLD(sr, base + i * stride);
                    VAT(ai, i) = VLD(si, base + i * stride);
                }
            const int in_b = c2c_lanes(t, inv, ar, ai, br, bi);
            const REAL *rr = in_b ? br : ar, *ri = in_b ? bi : ai;
            for (ck_index i = 0; i < len; ++i)
                for (int v = 0; v < NV; ++v) {
                    VAT(sr, base + i * stride) = VLD(rr, i);
                    VAT(si, base + i * stride) = VLD(ri, i);
                }
        }
}

void FFT_FORWARD_LANES(const ck_fft_plan *p, const REAL *r, REAL *sr, REAL *si, REAL *scratch,
                       const ck_index *nonzero)
{
    const ck_index n0 = p->n[0], n1 = p->n[1], n2 = p->n[2], h = n2 / 2, nh = p->nh;
    const ck_index buf = ck_fft__main_buf(p);
    REAL *ar = scratch, *ai = scratch + buf, *br = scratch + 2 * buf, *bi = scratch + 3 * buf;
    const REAL *post = p->POST;
    const ck_index r0 = nonzero && nonzero[0] < n0 ? nonzero[0] : n0, r1 = nonzero && nonzero[1] < n1 ? nonzero[1] : n1;
    for (ck_index i0 = 0; i0 < n0; ++i0)
        for (ck_index i1 = 0; i1 < n1; ++i1) {
            const ck_index line = i0 * n1 + i1;
            REAL *dr = sr + line * nh * LANES, *di = si + line * nh * LANES;
            if (i0 >= r0 || i1 >= r1) {
                memset(dr, 0, sizeof(REAL) * (size_t)(nh * LANES));
                memset(di, 0, sizeof(REAL) * (size_t)(nh * LANES));
                continue;
            }
            const REAL *src = r + line * n2 * LANES;
            for (ck_index j = 0; j < h; ++j)
                for (int v = 0; v < NV; ++v) {
                    VAT(ar, j) = VLD(src, 2 * j);
                    VAT(ai, j) = VLD(src, 2 * j + 1);
                }
            const int in_b = c2c_lanes(&p->half, 0, ar, ai, br, bi);
            const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
            split_real_bins(zr, zi, h, nh, post, dr, di);
        }
    if (n1 > 1)
        c2c_axis_lanes(&p->axis[1], 0, n0, nh, sr, si, scratch, buf);
    if (n0 > 1)
        c2c_axis_lanes(&p->axis[0], 0, 1, n1 * nh, sr, si, scratch, buf);
}

void FFT_INVERSE_LANES(const ck_fft_plan *p, REAL *sr, REAL *si, REAL *r, REAL *scratch)
{
    const ck_index n0 = p->n[0], n1 = p->n[1], n2 = p->n[2], h = n2 / 2, nh = p->nh;
    const ck_index buf = ck_fft__main_buf(p);
    REAL *ar = scratch, *ai = scratch + buf, *br = scratch + 2 * buf, *bi = scratch + 3 * buf;
    const REAL *post = p->POST;
    if (n0 > 1)
        c2c_axis_lanes(&p->axis[0], 1, 1, n1 * nh, sr, si, scratch, buf);
    if (n1 > 1)
        c2c_axis_lanes(&p->axis[1], 1, n0, nh, sr, si, scratch, buf);
    for (ck_index line = 0; line < n0 * n1; ++line) {
        const REAL *xr_ = sr + line * nh * LANES, *xi_ = si + line * nh * LANES;
        merge_real_bins(xr_, xi_, h, post, ar, ai);
        const int in_b = c2c_lanes(&p->half, 1, ar, ai, br, bi);
        const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
        REAL *dst = r + line * n2 * LANES;
        for (ck_index j = 0; j < h; ++j)
            for (int v = 0; v < NV; ++v) {
                VAT(dst, 2 * j) = VLD(zr, j);
                VAT(dst, 2 * j + 1) = VLD(zi, j);
            }
    }
}

#undef M_EVEN
#undef M_ODD
#undef M_ILO
#undef M_IHI
#undef M_TLO
#undef M_THI
#undef MK
#undef VLPP
#undef VAT
#undef VLD
#undef NV
#undef VL
#undef VBYTES
#undef AT
