/*
 * fft_template.h -- the batched transforms of ck_fft.h for one element type and one instruction set.
 * Included by fft_{f32,f64}_{generic,avx2,avx512}.c with REAL, LANES, TW (the plan's twiddle field for REAL),
 * POST (the real-axis twiddles) and the two public names FFT_FORWARD / FFT_INVERSE #defined.
 * The static helpers keep plain names: each includer is its own translation unit.
 *
 * Every butterfly loop is `for (l = 0; l < LANES; ++l)` over LANES independent lines stored
 * [length][LANES] (split re/im): gcc vectorises these under the includer's target options.
 */
#include <string.h>

#define AT(i) ((i) * LANES + l)

/* One Stockham stage of radix R: in[j + q*m] (m = n/R) -> out[(j/ns)*ns*R + j%ns + q*ns]. */
static void stage_radix2(ck_index n, ck_index ns, const REAL *tw, int inv, const REAL *restrict ir,
                         const REAL *restrict ii, REAL *restrict or_, REAL *restrict oi)
{
    const ck_index m = n / 2;
    for (ck_index jb = 0; jb < m; jb += ns)
        for (ck_index k = 0; k < ns; ++k) {
            const ck_index j = jb + k, o = jb * 2 + k;
            const REAL w1r = tw[2 * k], w1i = inv ? -tw[2 * k + 1] : tw[2 * k + 1];
            for (int l = 0; l < LANES; ++l) {
                const REAL a0r = ir[AT(j)], a0i = ii[AT(j)];
                const REAL br = ir[AT(j + m)], bi = ii[AT(j + m)];
                const REAL a1r = br * w1r - bi * w1i, a1i = br * w1i + bi * w1r;
                or_[AT(o)] = a0r + a1r;
                oi[AT(o)] = a0i + a1i;
                or_[AT(o + ns)] = a0r - a1r;
                oi[AT(o + ns)] = a0i - a1i;
            }
        }
}

static void stage_radix4(ck_index n, ck_index ns, const REAL *tw, int inv, const REAL *restrict ir,
                         const REAL *restrict ii, REAL *restrict or_, REAL *restrict oi)
{
    const ck_index m = n / 4;
    const REAL s = inv ? (REAL)1 : (REAL)-1; /* X1 = t1 + s*i*t3 */
    for (ck_index jb = 0; jb < m; jb += ns)
        for (ck_index k = 0; k < ns; ++k) {
            const ck_index j = jb + k, o = jb * 4 + k;
            const REAL *t = tw + 6 * k;
            const REAL w1r = t[0], w1i = inv ? -t[1] : t[1];
            const REAL w2r = t[2], w2i = inv ? -t[3] : t[3];
            const REAL w3r = t[4], w3i = inv ? -t[5] : t[5];
            for (int l = 0; l < LANES; ++l) {
                const REAL a0r = ir[AT(j)], a0i = ii[AT(j)];
                REAL br = ir[AT(j + m)], bi = ii[AT(j + m)];
                const REAL a1r = br * w1r - bi * w1i, a1i = br * w1i + bi * w1r;
                br = ir[AT(j + 2 * m)]; bi = ii[AT(j + 2 * m)];
                const REAL a2r = br * w2r - bi * w2i, a2i = br * w2i + bi * w2r;
                br = ir[AT(j + 3 * m)]; bi = ii[AT(j + 3 * m)];
                const REAL a3r = br * w3r - bi * w3i, a3i = br * w3i + bi * w3r;
                const REAL t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
                const REAL t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1r - a3r, t3i = a1i - a3i;
                or_[AT(o)] = t0r + t2r;
                oi[AT(o)] = t0i + t2i;
                or_[AT(o + 2 * ns)] = t0r - t2r;
                oi[AT(o + 2 * ns)] = t0i - t2i;
                or_[AT(o + ns)] = t1r - s * t3i;
                oi[AT(o + ns)] = t1i + s * t3r;
                or_[AT(o + 3 * ns)] = t1r + s * t3i;
                oi[AT(o + 3 * ns)] = t1i - s * t3r;
            }
        }
}

static void stage_radix3(ck_index n, ck_index ns, const REAL *tw, int inv, const REAL *restrict ir,
                         const REAL *restrict ii, REAL *restrict or_, REAL *restrict oi)
{
    const ck_index m = n / 3;
    const REAL h = (REAL)0.86602540378443864676 * (inv ? (REAL)1 : (REAL)-1); /* s * sin(2 pi / 3) */
    for (ck_index jb = 0; jb < m; jb += ns)
        for (ck_index k = 0; k < ns; ++k) {
            const ck_index j = jb + k, o = jb * 3 + k;
            const REAL *t = tw + 4 * k;
            const REAL w1r = t[0], w1i = inv ? -t[1] : t[1];
            const REAL w2r = t[2], w2i = inv ? -t[3] : t[3];
            for (int l = 0; l < LANES; ++l) {
                const REAL a0r = ir[AT(j)], a0i = ii[AT(j)];
                REAL br = ir[AT(j + m)], bi = ii[AT(j + m)];
                const REAL a1r = br * w1r - bi * w1i, a1i = br * w1i + bi * w1r;
                br = ir[AT(j + 2 * m)]; bi = ii[AT(j + 2 * m)];
                const REAL a2r = br * w2r - bi * w2i, a2i = br * w2i + bi * w2r;
                const REAL t1r = a1r + a2r, t1i = a1i + a2i;
                const REAL t2r = a0r - (REAL)0.5 * t1r, t2i = a0i - (REAL)0.5 * t1i;
                const REAL t3r = h * (a1r - a2r), t3i = h * (a1i - a2i);
                or_[AT(o)] = a0r + t1r;
                oi[AT(o)] = a0i + t1i;
                or_[AT(o + ns)] = t2r - t3i;
                oi[AT(o + ns)] = t2i + t3r;
                or_[AT(o + 2 * ns)] = t2r + t3i;
                oi[AT(o + 2 * ns)] = t2i - t3r;
            }
        }
}

static void stage_radix5(ck_index n, ck_index ns, const REAL *tw, int inv, const REAL *restrict ir,
                         const REAL *restrict ii, REAL *restrict or_, REAL *restrict oi)
{
    const ck_index m = n / 5;
    const REAL sg = inv ? (REAL)1 : (REAL)-1;
    const REAL c1 = (REAL)0.30901699437494742410, c2 = (REAL)-0.80901699437494742410;
    const REAL s1 = sg * (REAL)0.95105651629515357212, s2 = sg * (REAL)0.58778525229247312917;
    for (ck_index jb = 0; jb < m; jb += ns)
        for (ck_index k = 0; k < ns; ++k) {
            const ck_index j = jb + k, o = jb * 5 + k;
            const REAL *t = tw + 8 * k;
            REAL wr[4], wi[4];
            for (int q = 0; q < 4; ++q) {
                wr[q] = t[2 * q];
                wi[q] = inv ? -t[2 * q + 1] : t[2 * q + 1];
            }
            for (int l = 0; l < LANES; ++l) {
                const REAL a0r = ir[AT(j)], a0i = ii[AT(j)];
                REAL ar[4], ai[4];
                for (int q = 0; q < 4; ++q) {
                    const REAL br = ir[AT(j + (q + 1) * m)], bi = ii[AT(j + (q + 1) * m)];
                    ar[q] = br * wr[q] - bi * wi[q];
                    ai[q] = br * wi[q] + bi * wr[q];
                }
                const REAL t1r = ar[0] + ar[3], t1i = ai[0] + ai[3];
                const REAL t2r = ar[1] + ar[2], t2i = ai[1] + ai[2];
                const REAL t3r = ar[0] - ar[3], t3i = ai[0] - ai[3];
                const REAL t4r = ar[1] - ar[2], t4i = ai[1] - ai[2];
                const REAL p1r = a0r + c1 * t1r + c2 * t2r, p1i = a0i + c1 * t1i + c2 * t2i;
                const REAL p2r = a0r + c2 * t1r + c1 * t2r, p2i = a0i + c2 * t1i + c1 * t2i;
                const REAL q1r = s1 * t3r + s2 * t4r, q1i = s1 * t3i + s2 * t4i; /* X1 = p1 + i q1 */
                const REAL q2r = s2 * t3r - s1 * t4r, q2i = s2 * t3i - s1 * t4i; /* X2 = p2 + i q2 */
                or_[AT(o)] = a0r + t1r + t2r;
                oi[AT(o)] = a0i + t1i + t2i;
                or_[AT(o + ns)] = p1r - q1i;
                oi[AT(o + ns)] = p1i + q1r;
                or_[AT(o + 4 * ns)] = p1r + q1i;
                oi[AT(o + 4 * ns)] = p1i - q1r;
                or_[AT(o + 2 * ns)] = p2r - q2i;
                oi[AT(o + 2 * ns)] = p2i + q2r;
                or_[AT(o + 3 * ns)] = p2r + q2i;
                oi[AT(o + 3 * ns)] = p2i - q2r;
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
                for (int l = 0; l < LANES; ++l) {
                    ar[AT(i)] = src[2 * l];
                    ai[AT(i)] = src[2 * l + 1];
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
                for (int l = 0; l < LANES; ++l) {
                    dst[2 * l] = rr[AT(i)];
                    dst[2 * l + 1] = ri[AT(i)];
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
    const ck_index buf = ck_fft_scratch_elems(p) / 4;
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
        for (int l = 0; l < LANES; ++l) {
            const REAL *src = r + FULL_LINE(q0 + (l < cnt ? l : 0)) * n2;
            for (ck_index j = 0; j < h; ++j) {
                ar[AT(j)] = src[2 * j];
                ai[AT(j)] = src[2 * j + 1];
            }
        }
        const int in_b = c2c_lanes(&p->half, 0, ar, ai, br, bi);
        const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
        REAL *xr = in_b ? ar : br, *xi = in_b ? ai : bi; /* free buffer: [nh][LANES] fits (buf >= nh*LANES) */
        for (ck_index k = 0; k < nh; ++k) {
            const ck_index kk = k % h, km = (h - k) % h;
            const REAL wr = post[2 * k], wi = post[2 * k + 1];
            for (int l = 0; l < LANES; ++l) {
                const REAL ar_ = zr[AT(kk)], ai_ = zi[AT(kk)], br_ = zr[AT(km)], bi_ = -zi[AT(km)];
                const REAL er = (REAL)0.5 * (ar_ + br_), ei = (REAL)0.5 * (ai_ + bi_);
                /* odd part (a - b) / (2i) */
                const REAL orr = (REAL)0.5 * (ai_ - bi_), oii = (REAL)-0.5 * (ar_ - br_);
                xr[AT(k)] = er + orr * wr - oii * wi;
                xi[AT(k)] = ei + orr * wi + oii * wr;
            }
        }
        for (int l = 0; l < cnt; ++l) {
            REAL *dst = spec + 2 * FULL_LINE(q0 + l) * nh;
            for (ck_index k = 0; k < nh; ++k) {
                dst[2 * k] = xr[AT(k)];
                dst[2 * k + 1] = xi[AT(k)];
            }
        }
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
    const ck_index buf = ck_fft_scratch_elems(p) / 4;
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
        /* load the nh bins into (br, bi), then Z[k] = E + i O with E = X[k] + conj X[h-k],
         * O = (X[k] - conj X[h-k]) e^{+2 pi i k / n2} (twice the even/odd half spectra) */
        for (int l = 0; l < LANES; ++l) {
            const REAL *src = spec + 2 * (q0 + (l < cnt ? l : 0)) * nh;
            for (ck_index k = 0; k < nh; ++k) {
                br[AT(k)] = src[2 * k];
                bi[AT(k)] = src[2 * k + 1];
            }
        }
        for (ck_index k = 0; k < h; ++k) {
            const REAL wr = post[2 * k], wi = -post[2 * k + 1];
            for (int l = 0; l < LANES; ++l) {
                const REAL xr = br[AT(k)], xi = bi[AT(k)], yr = br[AT(h - k)], yi = -bi[AT(h - k)];
                const REAL er = xr + yr, ei = xi + yi, dr = xr - yr, di = xi - yi;
                const REAL orr = dr * wr - di * wi, oii = dr * wi + di * wr;
                ar[AT(k)] = er - oii;
                ai[AT(k)] = ei + orr;
            }
        }
        /* (br, bi) is free again: the ping-pong buffer */
        const int in_b = c2c_lanes(&p->half, 1, ar, ai, br, bi);
        const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
        for (int l = 0; l < cnt; ++l) {
            REAL *dst = r + (q0 + l) * n2;
            for (ck_index j = 0; j < h; ++j) {
                dst[2 * j] = zr[AT(j)];
                dst[2 * j + 1] = zi[AT(j)];
            }
        }
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
            for (ck_index i = 0; i < len; ++i) {
                const REAL *pr = sr + (base + i * stride) * LANES, *pi = si + (base + i * stride) * LANES;
                for (int l = 0; l < LANES; ++l) {
                    ar[AT(i)] = pr[l];
                    ai[AT(i)] = pi[l];
                }
            }
            const int in_b = c2c_lanes(t, inv, ar, ai, br, bi);
            const REAL *rr = in_b ? br : ar, *ri = in_b ? bi : ai;
            for (ck_index i = 0; i < len; ++i) {
                REAL *pr = sr + (base + i * stride) * LANES, *pi = si + (base + i * stride) * LANES;
                for (int l = 0; l < LANES; ++l) {
                    pr[l] = rr[AT(i)];
                    pi[l] = ri[AT(i)];
                }
            }
        }
}

void FFT_FORWARD_LANES(const ck_fft_plan *p, const REAL *r, REAL *sr, REAL *si, REAL *scratch,
                       const ck_index *nonzero)
{
    const ck_index n0 = p->n[0], n1 = p->n[1], n2 = p->n[2], h = n2 / 2, nh = p->nh;
    const ck_index buf = ck_fft_scratch_elems(p) / 4;
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
                for (int l = 0; l < LANES; ++l) {
                    ar[AT(j)] = src[(2 * j) * LANES + l];
                    ai[AT(j)] = src[(2 * j + 1) * LANES + l];
                }
            const int in_b = c2c_lanes(&p->half, 0, ar, ai, br, bi);
            const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
            for (ck_index k = 0; k < nh; ++k) {
                const ck_index kk = k % h, km = (h - k) % h;
                const REAL wr = post[2 * k], wi = post[2 * k + 1];
                for (int l = 0; l < LANES; ++l) {
                    const REAL ar_ = zr[AT(kk)], ai_ = zi[AT(kk)], br_ = zr[AT(km)], bi_ = -zi[AT(km)];
                    const REAL er = (REAL)0.5 * (ar_ + br_), ei = (REAL)0.5 * (ai_ + bi_);
                    const REAL orr = (REAL)0.5 * (ai_ - bi_), oii = (REAL)-0.5 * (ar_ - br_);
                    dr[AT(k)] = er + orr * wr - oii * wi;
                    di[AT(k)] = ei + orr * wi + oii * wr;
                }
            }
        }
    if (n1 > 1)
        c2c_axis_lanes(&p->axis[1], 0, n0, nh, sr, si, scratch, buf);
    if (n0 > 1)
        c2c_axis_lanes(&p->axis[0], 0, 1, n1 * nh, sr, si, scratch, buf);
}

void FFT_INVERSE_LANES(const ck_fft_plan *p, REAL *sr, REAL *si, REAL *r, REAL *scratch)
{
    const ck_index n0 = p->n[0], n1 = p->n[1], n2 = p->n[2], h = n2 / 2, nh = p->nh;
    const ck_index buf = ck_fft_scratch_elems(p) / 4;
    REAL *ar = scratch, *ai = scratch + buf, *br = scratch + 2 * buf, *bi = scratch + 3 * buf;
    const REAL *post = p->POST;
    if (n0 > 1)
        c2c_axis_lanes(&p->axis[0], 1, 1, n1 * nh, sr, si, scratch, buf);
    if (n1 > 1)
        c2c_axis_lanes(&p->axis[1], 1, n0, nh, sr, si, scratch, buf);
    for (ck_index line = 0; line < n0 * n1; ++line) {
        const REAL *xr_ = sr + line * nh * LANES, *xi_ = si + line * nh * LANES;
        for (ck_index k = 0; k < h; ++k) {
            const REAL wr = post[2 * k], wi = -post[2 * k + 1];
            for (int l = 0; l < LANES; ++l) {
                const REAL xr = xr_[AT(k)], xi = xi_[AT(k)], yr = xr_[AT(h - k)], yi = -xi_[AT(h - k)];
                const REAL er = xr + yr, ei = xi + yi, dr = xr - yr, di = xi - yi;
                const REAL orr = dr * wr - di * wi, oii = dr * wi + di * wr;
                ar[AT(k)] = er - oii;
                ai[AT(k)] = ei + orr;
            }
        }
        const int in_b = c2c_lanes(&p->half, 1, ar, ai, br, bi);
        const REAL *zr = in_b ? br : ar, *zi = in_b ? bi : ai;
        REAL *dst = r + line * n2 * LANES;
        for (ck_index j = 0; j < h; ++j)
            for (int l = 0; l < LANES; ++l) {
                dst[(2 * j) * LANES + l] = zr[AT(j)];
                dst[(2 * j + 1) * LANES + l] = zi[AT(j)];
            }
    }
}

#undef AT
