/*
 * direct_kernels_generic_template.h -- the portable microkernels of direct_kernels.h for one dtype.
 *
 * Included by kernels_generic.c once per dtype with REAL, FWD_TILE, FWD1_TILE, BWW_TILE, BWW1_TILE,
 * FWD_BODY, BWW_BODY, STORE_TILE #defined. Plain C with fixed-size local arrays (LANES = 4 columns per "vector"),
 * so the compiler may vectorise with the baseline ISA (SSE2 on x86-64). Contract: direct_kernels.h
 * (fwd: OCB 4, NV_MAX 4; fwd1: OCB 1, NV1_MAX 8; bww: BK 4, BT 3; bww1: BK 1, BT1 8).
 */

static inline void FWD_BODY(const int OCB, ck_index nc, ck_index ntap, const REAL *in, ck_index ics,
                            const ck_index *xoff, const REAL *w, ck_index wcs, const ck_index *woff,
                            int nv, REAL *out)
{
    enum { MAXCOLS = 32 };
    const int ncols = nv * 4;
    REAL acc[4][MAXCOLS];
    for (int j = 0; j < OCB; ++j)
        for (int col = 0; col < MAXCOLS; ++col)
            acc[j][col] = 0;
#define FWD_STEP(ip, wp)                                                                             \
    for (int j = 0; j < OCB; ++j)                                                                    \
        for (int col = 0; col < ncols; ++col)                                                        \
            acc[j][col] += (wp)[j] * (ip)[col];
    CK_DIRECT_FOR_TAPS(nc, ntap, in, ics, xoff, w, wcs, woff, FWD_STEP)
#undef FWD_STEP
    for (int j = 0; j < OCB; ++j)
        for (int col = 0; col < ncols; ++col)
            out[j * ncols + col] = acc[j][col];
}

void FWD_TILE(ck_index nc, ck_index ntap, const REAL *in, ck_index ics, const ck_index *xoff,
              const REAL *w, ck_index wcs, const ck_index *woff, int nv, REAL *out)
{
    FWD_BODY(4, nc, ntap, in, ics, xoff, w, wcs, woff, nv, out);
}

void FWD1_TILE(ck_index nc, ck_index ntap, const REAL *in, ck_index ics, const ck_index *xoff,
               const REAL *w, ck_index wcs, const ck_index *woff, int nv, REAL *out)
{
    FWD_BODY(1, nc, ntap, in, ics, xoff, w, wcs, woff, nv, out);
}

static inline void BWW_BODY(const int BK, const int BT, const int RS, ck_index nr, ck_index ncol, const REAL *dy,
                            ck_index dys, ck_index dyrs, const REAL *const *xr, ck_index xrs, REAL *res)
{
    enum { LANES = 4 };
    REAL acc[4][8][LANES];
    for (int kb = 0; kb < BK; ++kb)
        for (int tb = 0; tb < BT; ++tb)
            for (int l = 0; l < LANES; ++l)
                acc[kb][tb][l] = 0;
    for (ck_index r = 0; r < nr; ++r) {
        const REAL *d = dy + r * dyrs;
        for (ck_index col = 0; col < ncol; col += LANES)
            for (int kb = 0; kb < BK; ++kb)
                for (int tb = 0; tb < BT; ++tb) {
                    const REAL *xp = xr[tb] + r * xrs + col;
                    const REAL *dp = d + kb * dys + col;
                    for (int l = 0; l < LANES; ++l)
                        acc[kb][tb][l] += dp[l] * xp[l];
                }
    }
    for (int kb = 0; kb < BK; ++kb)
        for (int tb = 0; tb < BT; ++tb) {
            REAL s = 0;
            for (int l = 0; l < LANES; ++l)
                s += acc[kb][tb][l];
            res[kb * RS + tb] = s;
        }
}

void BWW_TILE(ck_index nr, ck_index ncol, const REAL *dy, ck_index dys, ck_index dyrs,
              const REAL *const *xr, int nxr, ck_index xrs, REAL *res)
{
    BWW_BODY(4, nxr < 3 ? nxr : 3, 3, nr, ncol, dy, dys, dyrs, xr, xrs, res);
}

void BWW1_TILE(ck_index nr, ck_index ncol, const REAL *dy, ck_index dys, ck_index dyrs,
               const REAL *const *xr, int nxr, ck_index xrs, REAL *res)
{
    BWW_BODY(1, nxr < 8 ? nxr : 8, 8, nr, ncol, dy, dys, dyrs, xr, xrs, res);
}

/* The store kernel, column by column (contract: direct_kernels.h; LANES = 4 here). */
void STORE_TILE(const REAL *out, int nv, ck_index nk, const REAL *bias, REAL *y, ck_index plane, ck_index J,
                ck_index OW, ck_index col0, ck_index ncols)
{
    const ck_index r0 = col0 / J, ox0 = col0 - r0 * J;
    for (ck_index j = 0; j < nk; ++j) {
        const REAL b = bias ? bias[j] : (REAL)0;
        const REAL *src = out + j * nv * 4 - col0;
        REAL *yj = y + j * plane;
        ck_index r = r0, ox = ox0;
        for (ck_index q = col0; q < col0 + ncols;) {
            if (ox >= OW) { /* the row's padding columns: skip to the next row */
                q += J - ox;
                ++r;
                ox = 0;
                continue;
            }
            const ck_index cnt = col0 + ncols - q < OW - ox ? col0 + ncols - q : OW - ox;
            for (ck_index e = 0; e < cnt; ++e)
                yj[r * OW + ox + e] = src[q + e] + b;
            q += cnt;
            ox += cnt;
        }
    }
}

/* The template consumes its parameters, so the next inclusion can define them afresh. */
#undef REAL
#undef FWD_TILE
#undef BWW_TILE
#undef FWD1_TILE
#undef BWW1_TILE
#undef FWD_BODY
#undef BWW_BODY
#undef STORE_TILE

