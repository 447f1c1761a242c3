/*
 * direct_kernels_simd_template.h -- the SIMD microkernels of direct_kernels.h for one ISA and dtype.
 *
 * Included by kernels_avx2.c and kernels_avx512.c once per dtype, after cnnkern/ck_simd_<isa>.h and
 * ck_simd_<dtype>.h (REAL, VT, LANES, VZERO, VLOAD, VSTORE, VBCAST, VFMA, VHSUM, CK_TARGET), with these
 * #defined (the template #undefs them at its end): OCB, NV_MAX, BK, BT,
 *   FWD_TILE, FWD1_TILE, BWW_TILE, BWW1_TILE, FWD_BODY, BWW_BODY, STORE_TILE (full function names, so grep
 *   finds them). NV1_MAX and BT1 are the column/tap widths of the one-output-channel kernels.
 *   Optionally CL_ROWS, CL_BODY, CL1_BODY, CL_STORE: the channels-in-lanes kernels cl / clst (AVX2 only).
 * Contract of FWD_TILE, BWW_TILE, STORE_TILE, CL_ROWS and CL_STORE: direct_kernels.h. The only ISA-specific code is the vector
 * macros, so the logic checked on one ISA is the logic of the others.
 */

/* One (channel, tap) step of the forward tile: acc[j][v] += wp[j] * ip[v*LANES ..]. A macro, so that
 * both loops of FWD_BODY (1x1 and general) compile to the same fully unrolled code. */
#define FWD_STEP(ip, wp)                                                                             \
    do {                                                                                             \
        VT xv_[NV1_MAX > NV_MAX ? NV1_MAX : NV_MAX];                                                 \
        _Pragma("GCC unroll 8") for (int v_ = 0; v_ < NV; ++v_) xv_[v_] = VLOAD((ip) + v_ * LANES);  \
        _Pragma("GCC unroll 8") for (int j_ = 0; j_ < OC; ++j_) {                                    \
            const VT wb_ = VBCAST((wp) + j_);                                                        \
            _Pragma("GCC unroll 8") for (int v_ = 0; v_ < NV; ++v_) acc[j_][v_] =                    \
                VFMA(wb_, xv_[v_], acc[j_][v_]);                                                     \
        }                                                                                            \
    } while (0)

/* out[j][col] = sum_c sum_t w[c*wcs + woff[t] + j] * in[c*ics + xoff[t] + col]; NV vectors of columns. */
static inline __attribute__((always_inline)) CK_TARGET void
FWD_BODY(const int OC, const int NV, ck_index nc, ck_index ntap, const REAL *in, ck_index ics, const ck_index *xoff,
         const REAL *w, ck_index wcs, const ck_index *woff, REAL *out)
{
    VT acc[OCB][NV1_MAX > NV_MAX ? NV1_MAX : NV_MAX];
    VZERO_TILE(acc, OC, NV);
    if (ntap == 1) { /* 1x1 kernels: a plain loop over the channels */
        const REAL *ip = in + xoff[0];
        const REAL *wp = w + woff[0];
        for (ck_index c = 0; c < nc; ++c, ip += ics, wp += wcs) {
            FWD_STEP(ip, wp);
        }
        nc = 0;
    }
    CK_DIRECT_FOR_TAPS(nc, ntap, in, ics, xoff, w, wcs, woff, FWD_STEP)
    VSTORE_TILE(out, (ck_index)NV * LANES, acc, OC, NV);
}

CK_TARGET void FWD_TILE(ck_index nc, ck_index ntap, const REAL *in, ck_index ics, const ck_index *xoff,
                        const REAL *w, ck_index wcs, const ck_index *woff, int nv, REAL *out)
{
    switch (nv) {
    case 1: FWD_BODY(OCB, 1, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    case 2: FWD_BODY(OCB, 2, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    default: FWD_BODY(OCB, 3, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    }
}

/* The same with one output channel (OCB = 1) and up to NV1_MAX = 8 vectors: depthwise layers. */
CK_TARGET void FWD1_TILE(ck_index nc, ck_index ntap, const REAL *in, ck_index ics, const ck_index *xoff,
                         const REAL *w, ck_index wcs, const ck_index *woff, int nv, REAL *out)
{
    switch (nv) {
    case 1: FWD_BODY(1, 1, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    case 2: FWD_BODY(1, 2, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    case 3: FWD_BODY(1, 3, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    case 4: FWD_BODY(1, 4, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    case 5: FWD_BODY(1, 5, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    case 6: FWD_BODY(1, 6, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    case 7: FWD_BODY(1, 7, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    default: FWD_BODY(1, 8, nc, ntap, in, ics, xoff, w, wcs, woff, out); break;
    }
}

/* res[kb][tb] (row stride RS) = sum_r sum_col dy[kb*dys + r*dyrs + col] * xr[tb][r*xrs + col], tb < TB;
 * ncol % LANES == 0. */
static inline __attribute__((always_inline)) CK_TARGET void
BWW_BODY(const int KB, const int TB, const int RS, ck_index nr, ck_index ncol, const REAL *dy, ck_index dys, ck_index dyrs,
         const REAL *const *xr, ck_index xrs, REAL *res)
{
    VT acc[BK][BT1 > BT ? BT1 : BT];
    VZERO_TILE(acc, KB, TB);
    for (ck_index r = 0; r < nr; ++r) {
        const REAL *d = dy + r * dyrs;
        const REAL *xp[BT1 > BT ? BT1 : BT];
#pragma GCC unroll 8
        for (int tb = 0; tb < TB; ++tb)
            xp[tb] = xr[tb] + r * xrs;
        for (ck_index col = 0; col < ncol; col += LANES) {
            VT xv[BT1 > BT ? BT1 : BT];
#pragma GCC unroll 8
            for (int tb = 0; tb < TB; ++tb)
                xv[tb] = VLOAD(xp[tb] + col);
#pragma GCC unroll 8
            for (int kb = 0; kb < KB; ++kb) {
                const VT dv = VLOAD(d + kb * dys + col);
#pragma GCC unroll 8
                for (int tb = 0; tb < TB; ++tb)
                    acc[kb][tb] = VFMA(dv, xv[tb], acc[kb][tb]);
            }
        }
    }
#pragma GCC unroll 8
    for (int kb = 0; kb < KB; ++kb)
#pragma GCC unroll 8
        for (int tb = 0; tb < TB; ++tb)
            res[kb * RS + tb] = VHSUM(acc[kb][tb]);
}

CK_TARGET void BWW_TILE(ck_index nr, ck_index ncol, const REAL *dy, ck_index dys, ck_index dyrs,
                        const REAL *const *xr, int nxr, ck_index xrs, REAL *res)
{
#define CK_BWW_CASE(m) case m: BWW_BODY(BK, (m) < BT ? (m) : BT, BT, nr, ncol, dy, dys, dyrs, xr, xrs, res); break;
    switch (nxr) {
    CK_BWW_CASE(1) CK_BWW_CASE(2) CK_BWW_CASE(3) CK_BWW_CASE(4) CK_BWW_CASE(5) CK_BWW_CASE(6) CK_BWW_CASE(7)
    default: BWW_BODY(BK, BT, BT, nr, ncol, dy, dys, dyrs, xr, xrs, res); break;
    }
#undef CK_BWW_CASE
}

/* The same with one output channel (BK = 1) and up to BT1 (channel, tap) pairs: depthwise layers. */
CK_TARGET void BWW1_TILE(ck_index nr, ck_index ncol, const REAL *dy, ck_index dys, ck_index dyrs,
                         const REAL *const *xr, int nxr, ck_index xrs, REAL *res)
{
#define CK_BWW_CASE(m) case m: BWW_BODY(1, (m) < BT1 ? (m) : BT1, BT1, nr, ncol, dy, dys, dyrs, xr, xrs, res); break;
    switch (nxr) {
    CK_BWW_CASE(1) CK_BWW_CASE(2) CK_BWW_CASE(3) CK_BWW_CASE(4) CK_BWW_CASE(5) CK_BWW_CASE(6) CK_BWW_CASE(7)
    default: BWW_BODY(1, BT1, BT1, nr, ncol, dy, dys, dyrs, xr, xrs, res); break;
    }
#undef CK_BWW_CASE
}

/* A tile of NV whole vectors inside one output row (every tile of a row-wise pass, see FWD_TASK):
 * plain stores, none of the general loop's per-vector row bookkeeping. */
#define STORE_IN_ROW(NV)                                                                               \
    do {                                                                                             \
        for (ck_index j_ = 0; j_ < nk; ++j_) {                                                       \
            const VT bv_ = VSET1(bias ? bias[j_] : (REAL)0);                                         \
            _Pragma("GCC unroll 8") for (int v_ = 0; v_ < (NV); ++v_)                                 \
                VSTORE(yr + j_ * plane + v_ * LANES, VADD(VLOAD(out + (j_ * (NV) + v_) * LANES), bv_)); \
        }                                                                                            \
    } while (0)

/* The store kernel: a vector inside one output row is one store; one over a row's end (and the
 * tile's partial last vector) two masked stores, its lanes [0, lo) into row r and [hi, end) into row
 * r + 1 (the lanes between fall on the padding columns J - OW). That needs J >= LANES (then a
 * vector meets at most two rows); narrower rows go lane by lane, as does a vector whose second store
 * would have to start before yj (a pointer outside the array, even with those lanes masked). */
CK_TARGET void STORE_TILE(const REAL *out, int nv, ck_index nk, const REAL *bias, REAL *y, ck_index plane,
                          ck_index J, ck_index OW, ck_index col0, ck_index ncols)
{
    const ck_index r0 = col0 / J, ox0 = col0 - r0 * J;
    if (ncols == (ck_index)nv * LANES && ox0 + ncols <= OW) {
        REAL *yr = y + r0 * OW + ox0;
        switch (nv) {
        case 1: STORE_IN_ROW(1); break;
        case 2: STORE_IN_ROW(2); break;
        case 3: STORE_IN_ROW(3); break;
        case 4: STORE_IN_ROW(4); break;
        case 5: STORE_IN_ROW(5); break;
        case 6: STORE_IN_ROW(6); break;
        case 7: STORE_IN_ROW(7); break;
        default: STORE_IN_ROW(8); break;
        }
        return;
    }
    for (ck_index j = 0; j < nk; ++j) {
        const REAL b = bias ? bias[j] : (REAL)0;
        const VT bv = VSET1(b);
        const REAL *src = out + j * nv * LANES;
        REAL *yj = y + j * plane;
        ck_index r = r0, ox = ox0;
        for (ck_index v = 0; v * LANES < ncols; ++v) {
            const ck_index nhere = ncols - v * LANES < LANES ? ncols - v * LANES : LANES;
            /* lane by lane also where row r + 1's masked store is needed and would start before yj
             * (not merely because the vector reaches the padding columns, which sent the first
             * vector of every row block lane by lane) */
            if (J < LANES || (J - ox < nhere && (r + 1) * OW < J - ox)) {
                for (ck_index e = 0; e < nhere; ++e) {
                    const ck_index rr = r + (ox + e) / J, oq = (ox + e) % J;
                    if (oq < OW)
                        yj[rr * OW + oq] = src[v * LANES + e] + b;
                }
            } else {
                const VT val = VADD(VLOAD(src + v * LANES), bv);
                if (nhere == LANES && ox + LANES <= OW) {
                    VSTORE(yj + r * OW + ox, val);
                } else {
                    const ck_index lo = ox >= OW ? 0 : (OW - ox < nhere ? OW - ox : nhere);
                    const ck_index hi = J - ox; /* first lane of row r + 1 */
                    if (lo > 0)
                        VMASKSTORE(yj + r * OW + ox, VMASK(lo), val);
                    if (hi < nhere) {
                        const ck_index end = hi + OW < nhere ? hi + OW : nhere;
                        VMASKSTORE(yj + (r + 1) * OW - hi, VMASK(end) & ~VMASK(hi), val);
                    }
                }
            }
            ox += LANES;
            while (ox >= J) {
                ox -= J;
                ++r;
            }
        }
    }
}

#ifdef CL_ROWS
/* Channels in the lanes (cl / clst of direct_kernels.h): a tile of CL_P output columns x 2 vectors of
 * output channels, 12 accumulators on AVX2. Per (channel, tap) step 2 aligned weight loads and CL_P
 * broadcasts of input elements (any stride: no phase packing, no loads across cache lines). */
#define CL_P 6
/* The steps of a tile over all (c, kh, kw) in order (cl's contract): STEP with ip = the tap's input at
 * the tile's first column and wp = its weights at the tile's first channel (arguments of the bodies
 * below: nc, KH, KW, in, ics, ihs, dw, w, Kp). */
#define CL_FOR_TAPS(...)                                                                            \
    for (ck_index c_ = 0; c_ < nc; ++c_)                                                            \
        for (ck_index kh_ = 0; kh_ < KH; ++kh_) {                                                   \
            const REAL *ip = in + c_ * ics + kh_ * ihs;                                             \
            const REAL *wp = w + (c_ * KH + kh_) * KW * Kp;                                         \
            for (ck_index kw_ = 0; kw_ < KW; ++kw_, ip += dw, wp += Kp) {                           \
                __VA_ARGS__                                                                         \
            }                                                                                       \
        }
#define CL_DECL(q) VT c0_##q = VZERO(), c1_##q = VZERO();
#define CL_FMA(q)                                                                                   \
    if ((q) < P) {                                                                                  \
        const VT b_ = VBCAST(ip + (q) * sw);                                                        \
        c0_##q = VFMA(w0, b_, c0_##q);                                                              \
        c1_##q = VFMA(w1, b_, c1_##q);                                                              \
    }
#define CL_ST(q)                                                                                    \
    if ((q) < P) {                                                                                  \
        VSTORE(o + (q) * Kp, c0_##q);                                                               \
        VSTORE(o + (q) * Kp + LANES, c1_##q);                                                       \
    }
/* Named accumulators rather than an array: with an array GCC stored every accumulator to the stack in
 * every step (90 -> 173 GFLOP/s on r50_conv1's tile when named). */
static inline __attribute__((always_inline)) CK_TARGET void
CL_BODY(const int P, ck_index nc, ck_index KH, ck_index KW, const REAL *in, ck_index ics, ck_index ihs, ck_index sw,
        ck_index dw, const REAL *w, ck_index Kp, REAL *o)
{
    CL_DECL(0) CL_DECL(1) CL_DECL(2) CL_DECL(3) CL_DECL(4) CL_DECL(5)
    CL_FOR_TAPS(const VT w0 = VLOAD(wp), w1 = VLOAD(wp + LANES);
                CL_FMA(0) CL_FMA(1) CL_FMA(2) CL_FMA(3) CL_FMA(4) CL_FMA(5))
    CL_ST(0) CL_ST(1) CL_ST(2) CL_ST(3) CL_ST(4) CL_ST(5)
}

/* One vector of output channels x 12 columns (12 accumulators; 1 weight load and 12 broadcasts per
 * step): the last vector when the group's channels are an odd number of vectors. */
#define CL1_DECL(q) VT d_##q = VZERO();
#define CL1_FMA(q)                                                                                  \
    if ((q) < P)                                                                                    \
        d_##q = VFMA(w0, VBCAST(ip + (q) * sw), d_##q);
#define CL1_ST(q)                                                                                   \
    if ((q) < P)                                                                                    \
        VSTORE(o + (q) * Kp, d_##q);
static inline __attribute__((always_inline)) CK_TARGET void
CL1_BODY(const int P, ck_index nc, ck_index KH, ck_index KW, const REAL *in, ck_index ics, ck_index ihs, ck_index sw,
         ck_index dw, const REAL *w, ck_index Kp, REAL *o)
{
    CL1_DECL(0) CL1_DECL(1) CL1_DECL(2) CL1_DECL(3) CL1_DECL(4) CL1_DECL(5)
    CL1_DECL(6) CL1_DECL(7) CL1_DECL(8) CL1_DECL(9) CL1_DECL(10) CL1_DECL(11)
    CL_FOR_TAPS(const VT w0 = VLOAD(wp);
                CL1_FMA(0) CL1_FMA(1) CL1_FMA(2) CL1_FMA(3) CL1_FMA(4) CL1_FMA(5)
                CL1_FMA(6) CL1_FMA(7) CL1_FMA(8) CL1_FMA(9) CL1_FMA(10) CL1_FMA(11))
    CL1_ST(0) CL1_ST(1) CL1_ST(2) CL1_ST(3) CL1_ST(4) CL1_ST(5)
    CL1_ST(6) CL1_ST(7) CL1_ST(8) CL1_ST(9) CL1_ST(10) CL1_ST(11)
}

CK_TARGET void CL_ROWS(ck_index nc, ck_index KH, ck_index KW, const REAL *in, ck_index ics, ck_index ihs, ck_index sw,
                       ck_index dw, const REAL *w, ck_index Kp, ck_index OW, REAL *out)
{
    ck_index k0 = 0;
    for (; k0 + 2 * LANES <= Kp; k0 += 2 * LANES)
        for (ck_index ow0 = 0; ow0 < OW; ow0 += CL_P) {
            const REAL *ip = in + ow0 * sw, *wk = w + k0;
            REAL *o = out + ow0 * Kp + k0;
            switch (OW - ow0 < CL_P ? OW - ow0 : CL_P) {
            case 1: CL_BODY(1, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 2: CL_BODY(2, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 3: CL_BODY(3, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 4: CL_BODY(4, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 5: CL_BODY(5, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            default: CL_BODY(6, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            }
        }
    if (k0 < Kp)
        for (ck_index ow0 = 0; ow0 < OW; ow0 += 2 * CL_P) {
            const REAL *ip = in + ow0 * sw, *wk = w + k0;
            REAL *o = out + ow0 * Kp + k0;
            switch (OW - ow0 < 2 * CL_P ? OW - ow0 : 2 * CL_P) {
            case 1: CL1_BODY(1, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 2: CL1_BODY(2, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 3: CL1_BODY(3, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 4: CL1_BODY(4, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 5: CL1_BODY(5, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 6: CL1_BODY(6, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 7: CL1_BODY(7, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 8: CL1_BODY(8, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 9: CL1_BODY(9, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 10: CL1_BODY(10, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            case 11: CL1_BODY(11, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            default: CL1_BODY(12, nc, KH, KW, ip, ics, ihs, sw, dw, wk, Kp, o); break;
            }
        }
}

/* LANES x LANES blocks transposed in registers; the channel and column tails element by element. */
CK_TARGET void CL_STORE(const REAL *out, ck_index Kp, ck_index nk, ck_index OW, const REAL *bias, REAL *y,
                        ck_index plane)
{
    ck_index k0 = 0;
    for (; k0 + LANES <= nk; k0 += LANES) {
        VT bv[LANES];
        for (int i = 0; i < LANES; ++i)
            bv[i] = VSET1(bias ? bias[k0 + i] : (REAL)0);
        ck_index o0 = 0;
        for (; o0 + LANES <= OW; o0 += LANES) {
            VT v[LANES];
#pragma GCC unroll 16
            for (int i = 0; i < LANES; ++i)
                v[i] = VLOAD(out + (o0 + i) * Kp + k0);
            VTRANSPOSE(v);
#pragma GCC unroll 16
            for (int i = 0; i < LANES; ++i)
                VSTORE(y + (k0 + i) * plane + o0, VADD(v[i], bv[i]));
        }
        for (; o0 < OW; ++o0)
            for (int i = 0; i < LANES; ++i)
                y[(k0 + i) * plane + o0] = out[o0 * Kp + k0 + i] + (bias ? bias[k0 + i] : (REAL)0);
    }
    for (; k0 < nk; ++k0) {
        const REAL b = bias ? bias[k0] : (REAL)0;
        for (ck_index o = 0; o < OW; ++o)
            y[k0 * plane + o] = out[o * Kp + k0] + b;
    }
}
#undef CL_P
#undef CL_FOR_TAPS
#undef CL_DECL
#undef CL_FMA
#undef CL_ST
#undef CL1_DECL
#undef CL1_FMA
#undef CL1_ST
#endif /* CL_ROWS */

/* The template consumes its parameters, so the next inclusion can define them afresh. */
#undef FWD_TILE
#undef FWD_BODY
#undef FWD_STEP
#undef BWW_TILE
#undef BWW_BODY
#undef FWD1_TILE
#undef BWW1_TILE
#undef STORE_TILE
#undef STORE_IN_ROW
#undef CL_ROWS
#undef CL_BODY
#undef CL1_BODY
#undef CL_STORE
