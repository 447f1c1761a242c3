/*
 * direct_kernels_simd_template.h -- the two SIMD microkernels of direct_kernels.h for one ISA and dtype.
 *
 * Included by kernels_avx2.c and kernels_avx512.c once per dtype, after cnnkern/ck_simd_<isa>.h and
 * ck_simd_<dtype>.h (REAL, VT, LANES, VZERO, VLOAD, VSTORE, VBCAST, VFMA, VHSUM, CK_TARGET), with these
 * #defined (the template #undefs them at its end): OCB, NV_MAX, BK, BT,
 *   FWD_TILE, FWD1_TILE, BWW_TILE, BWW1_TILE, FWD_BODY, BWW_BODY, STORE_TILE (full function names, so grep
 *   finds them). NV1_MAX and BT1 are the column/tap widths of the one-output-channel kernels.
 * Contract of FWD_TILE, BWW_TILE and STORE_TILE: direct_kernels.h. The only ISA-specific code is the vector
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
