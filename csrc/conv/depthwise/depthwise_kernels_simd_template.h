/*
 * depthwise_kernels_simd_template.h -- fwd_rows and bww_rows of depthwise_kernels.h for one ISA and dtype.
 *
 * Included by depthwise_kernels_avx2.c / _avx512.c once per dtype with these #defined (#undef'd at the
 * end): REAL, VT, LANES, CK_TARGET, VZERO(), VLOAD(p), VSTORE(p, v), VBCAST(x) (x a REAL value),
 * VFMA(a, b, acc) (= a*b + acc), VLOADN(p, n) (first n < LANES lanes, zeros above),
 * VSTOREN(p, v, n) (first n < LANES lanes only), VLOADR(p, lo, hi) (lanes lo <= l < hi loaded, zeros
 * elsewhere; 0 <= lo < hi <= LANES; lanes outside are not accessed), PACK_ROWS, FWD_ROWS, FWD_ROWS_T, FWD_BODY, BWW_ROWS,
 * BWW_BODY.
 * Contracts: depthwise_kernels.h. Only the vector macros are ISA-specific.
 */

/* A block of R output rows x NV column vectors (R*NV <= 8 accumulators, so short rows still have
 * independent FMA chains); `last` = valid lanes of the last vector (1..LANES). */
static inline __attribute__((always_inline)) CK_TARGET void
FWD_BODY(const int R, const int NV, const ck_index ntap, const REAL *in, ck_index in_rs, const ck_index *toff,
         const REAL *wt, VT vb, REAL *y, ck_index y_rs, int last)
{
    VT a[8];
#pragma GCC unroll 8
    for (int i = 0; i < R * NV; ++i)
        a[i] = vb;
#pragma GCC unroll 9
    for (ck_index t = 0; t < ntap; ++t) {
        const VT wv = VBCAST(wt[t]);
        const REAL *s = in + toff[t];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v)
                a[r * NV + v] = VFMA(wv, VLOAD(s + r * in_rs + v * LANES), a[r * NV + v]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < NV - 1; ++v)
            VSTORE(y + r * y_rs + v * LANES, a[r * NV + v]);
        if (last == LANES)
            VSTORE(y + r * y_rs + (NV - 1) * LANES, a[r * NV + NV - 1]);
        else
            VSTOREN(y + r * y_rs + (NV - 1) * LANES, a[r * NV + NV - 1], last);
    }
}

/* Columns in steps of up to 4 vectors; within a step, rows in blocks of 8/NV (then single rows). */
static inline __attribute__((always_inline)) CK_TARGET void
FWD_ROWS_T(const ck_index ntap, ck_index nrows, const REAL *in, ck_index in_rs, const ck_index *toff,
           const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs)
{
    const VT vb = VBCAST(bias);
    for (ck_index j0 = 0; j0 < ow; j0 += 4 * LANES) {
        const ck_index left = ow - j0;
        const int nv = left >= 4 * LANES ? 4 : (int)((left + LANES - 1) / LANES);
        const int last = (int)(left >= 4 * LANES ? LANES : left - (nv - 1) * LANES);
        const int rb = 8 / nv;
        ck_index r = 0;
        for (; r + rb <= nrows; r += rb) {
            const REAL *ib = in + r * in_rs + j0;
            REAL *yb = y + r * y_rs + j0;
            switch (nv) {
            case 1: FWD_BODY(8, 1, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            case 2: FWD_BODY(4, 2, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            case 3: FWD_BODY(2, 3, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            default: FWD_BODY(2, 4, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            }
        }
        for (; r < nrows; ++r) {
            const REAL *ib = in + r * in_rs + j0;
            REAL *yb = y + r * y_rs + j0;
            switch (nv) {
            case 1: FWD_BODY(1, 1, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            case 2: FWD_BODY(1, 2, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            case 3: FWD_BODY(1, 3, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            default: FWD_BODY(1, 4, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last); break;
            }
        }
    }
}

CK_TARGET void FWD_ROWS(ck_index nrows, const REAL *in, ck_index in_rs, ck_index ntap, const ck_index *toff,
                        const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs)
{
    /* a constant tap count (3x3) lets the compiler unroll the tap loop */
    if (ntap == 9)
        FWD_ROWS_T(9, nrows, in, in_rs, toff, wt, bias, ow, y, y_rs);
    else
        FWD_ROWS_T(ntap, nrows, in, in_rs, toff, wt, bias, ow, y, y_rs);
}

static inline __attribute__((always_inline)) CK_TARGET void
BWW_BODY(const int NT, ck_index nrows, const REAL *dy, ck_index dy_rs, ck_index ow, const REAL *in,
         ck_index in_rs, const ck_index *toff, REAL *acc)
{
    VT a[CK_DEPTHWISE_BWW_MAXT];
#pragma GCC unroll 12
    for (int t = 0; t < NT; ++t)
        a[t] = VLOAD(acc + t * LANES);
    for (ck_index r = 0; r < nrows; ++r) {
        const REAL *dr = dy + r * dy_rs;
        const REAL *base = in + r * in_rs;
        ck_index j = 0;
        for (; j + LANES <= ow; j += LANES) {
            const VT d = VLOAD(dr + j);
#pragma GCC unroll 12
            for (int t = 0; t < NT; ++t)
                a[t] = VFMA(d, VLOAD(base + toff[t] + j), a[t]);
        }
        if (j < ow) {
            const VT d = VLOADN(dr + j, (int)(ow - j));
#pragma GCC unroll 12
            for (int t = 0; t < NT; ++t)
                a[t] = VFMA(d, VLOAD(base + toff[t] + j), a[t]);
        }
    }
#pragma GCC unroll 12
    for (int t = 0; t < NT; ++t)
        VSTORE(acc + t * LANES, a[t]);
}

CK_TARGET void BWW_ROWS(ck_index nrows, const REAL *dy, ck_index dy_rs, ck_index ow, const REAL *in,
                        ck_index in_rs, ck_index ntap, const ck_index *toff, REAL *acc)
{
    /* one specialised body per tap count, so the accumulators live in registers */
    switch (ntap) {
#define DW_BWW_CASE(n)                                                                              \
    case n:                                                                                         \
        BWW_BODY(n, nrows, dy, dy_rs, ow, in, in_rs, toff, acc);                                    \
        break;
        DW_BWW_CASE(1) DW_BWW_CASE(2) DW_BWW_CASE(3) DW_BWW_CASE(4) DW_BWW_CASE(5) DW_BWW_CASE(6)
        DW_BWW_CASE(7) DW_BWW_CASE(8) DW_BWW_CASE(9) DW_BWW_CASE(10) DW_BWW_CASE(11) DW_BWW_CASE(12)
#undef DW_BWW_CASE
    default:
        break; /* the operator never passes more than CK_DEPTHWISE_BWW_MAXT taps */
    }
}

CK_TARGET void PACK_ROWS(REAL *dst, ck_index Jp, const REAL *src, ck_index src_rs, ck_index nrows, ck_index n,
                         ck_index off)
{
    for (ck_index r = 0; r < nrows; ++r, dst += Jp, src += src_rs) {
        for (ck_index j0 = 0; j0 < Jp; j0 += LANES) {
            /* lanes l with 0 <= j0 + l + off < n */
            const ck_index lo = j0 + off >= 0 ? 0 : -(j0 + off);
            const ck_index hi = n - off - j0 >= LANES ? LANES : n - off - j0;
            if (lo == 0 && hi == LANES)
                VSTORE(dst + j0, VLOAD(src + j0 + off));
            else if (hi <= lo)
                VSTORE(dst + j0, VZERO());
            else
                VSTORE(dst + j0, VLOADR(src + j0 + off, (int)lo, (int)hi));
        }
    }
}

#undef REAL
#undef VT
#undef LANES
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VBCAST
#undef VFMA
#undef VLOADN
#undef VSTOREN
#undef VLOADR
#undef PACK_ROWS
#undef FWD_ROWS
#undef FWD_BODY
#undef FWD_ROWS_T
#undef BWW_ROWS
#undef BWW_BODY
