/*
 * depthwise_kernels_simd_template.h -- fwd_rows and bww_rows of depthwise_kernels.h for one ISA and dtype.
 *
 * Included by depthwise_kernels_avx2.c / _avx512.c once per dtype, after the ISA's cnnkern/ck_simd_<isa>.h
 * and ck_simd_f32.h / ck_simd_f64.h (the vector vocabulary: REAL, VT, LANES, VLOAD, VFMA, VMASK, ...),
 * with the kernel names PACK_ROWS, PACK_EDGE, FWD_ROWS, FWD_STORE, FWD_ROWS_T, FWD_BODY, FWD3_BODY,
 * FWD3_COLS, FWD3_ROWS, BWW_ROWS, BWW_BODY, BWW3_ROWS and the 3x3 register blocking DW3_R
 * (output rows) and DW3_NV (column vectors) #defined (#undef'd at the end); optionally FWD3U_BODY,
 * FWD3U_COLS, FWD3U_ROWS with DW3U_VAND(v, mask) (zero the lanes outside mask): the fwd3u kernel.
 * Contracts: depthwise_kernels.h. Only the vector vocabulary is ISA-specific.
 *
 * The 3x3 unit-stride, unit-dilation case (the common depthwise layer, also its backward-input) has
 * its own bodies that keep a packed input row's three shifted vectors in registers and use them for
 * every output (forward) or dy (weight gradient) row they touch: 3 loads per input row and vector
 * instead of 9 per output row. Each output / tap sums its terms in the same order as the general body.
 * Where the ISA file defines DW3_VALIGN(hi, lo, n) (AVX-512: valignd/valignq), the forward body builds
 * the two shifted vectors from whole ones instead of loading them across cache lines: one thread,
 * float32, 128 channels 56x56, batch 1 forward 0.188 -> 0.147 ms and its input gradient 0.19 -> 0.155
 * ms; batch 8 forward 2.5-2.7 -> 2.2-2.4 ms. The weight-gradient body was 9% slower that way (0.186 ->
 * 0.203 ms at batch 1) and keeps its three loads.
 */

/* lanes lo <= l < hi, zeros elsewhere (0 <= lo < hi <= LANES; lanes outside are not accessed) */
#define VLOADR(p, lo, hi) VMASKLOAD((p), VMASK(hi) & ~VMASK(lo))

/* Store R rows x NV vectors of accumulators; `last` = valid lanes of the last vector (1..LANES). */
static inline __attribute__((always_inline)) CK_TARGET void
FWD_STORE(const int R, const int NV, const VT *a, REAL *y, ck_index y_rs, int last)
{
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < NV - 1; ++v)
            VSTORE(y + r * y_rs + v * LANES, a[r * NV + v]);
        if (last == LANES)
            VSTORE(y + r * y_rs + (NV - 1) * LANES, a[r * NV + NV - 1]);
        else
            VMASKSTORE(y + r * y_rs + (NV - 1) * LANES, VMASK(last), a[r * NV + NV - 1]);
    }
}

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
        const VT wv = VBCAST(wt + t);
        const REAL *s = in + toff[t];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v)
                a[r * NV + v] = VFMA(wv, VLOAD(s + r * in_rs + v * LANES), a[r * NV + v]);
    }
    FWD_STORE(R, NV, a, y, y_rs, last);
}

/* A column step of up to W vectors at column j0 of ow: nv vectors, `last` valid lanes in the last. */
#define DW_COL_STEP(ow, j0, W, nv, last)                                                            \
    const ck_index left_ = (ow) - (j0);                                                             \
    const int nv = left_ >= (W) * LANES ? (W) : (int)((left_ + LANES - 1) / LANES);                 \
    const int last = (int)(left_ >= (W) * LANES ? LANES : left_ - (nv - 1) * LANES)

/* The 3x3 bodies' shared steps (FWD3_BODY, FWD3U_BODY), over wv[9] and a[R*NV] in scope:
 * DW3_START broadcasts the weights and sets every accumulator to the bias; DW3_ROW adds input row
 * i's three shifted vectors of column vector v to output rows i-2..i (taps kh = i - r, then kw). */
#define DW3_START(R, NV, wt, vb)                                                                    \
    do {                                                                                            \
        _Pragma("GCC unroll 9") for (int t_ = 0; t_ < 9; ++t_) wv[t_] = VBCAST((wt) + t_);           \
        _Pragma("GCC unroll 16") for (int i_ = 0; i_ < (R) * (NV); ++i_) a[i_] = (vb);               \
    } while (0)
#define DW3_ROW(R, NV, i, v, x0, x1, x2)                                                            \
    do {                                                                                            \
        _Pragma("GCC unroll 3") for (int kh_ = 0; kh_ < 3; ++kh_) {                                 \
            const int r_ = (i) - kh_;                                                               \
            if (r_ >= 0 && r_ < (R)) {                                                              \
                a[r_ * (NV) + (v)] = VFMA(wv[kh_ * 3 + 0], (x0), a[r_ * (NV) + (v)]);               \
                a[r_ * (NV) + (v)] = VFMA(wv[kh_ * 3 + 1], (x1), a[r_ * (NV) + (v)]);               \
                a[r_ * (NV) + (v)] = VFMA(wv[kh_ * 3 + 2], (x2), a[r_ * (NV) + (v)]);               \
            }                                                                                       \
        }                                                                                           \
    } while (0)

/* Columns in steps of up to 4 vectors; within a step, rows in blocks of 8/NV (then single rows). */
static inline __attribute__((always_inline)) CK_TARGET void
FWD_ROWS_T(const ck_index ntap, ck_index nrows, const REAL *in, ck_index in_rs, const ck_index *toff,
           const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs)
{
    const VT vb = VBCAST(&bias);
    for (ck_index j0 = 0; j0 < ow; j0 += 4 * LANES) {
        DW_COL_STEP(ow, j0, 4, nv, last);
        const int rb = 8 / nv;
        for (ck_index r = 0; r < nrows;) {
            const REAL *ib = in + r * in_rs + j0;
            REAL *yb = y + r * y_rs + j0;
            const int block = r + rb <= nrows; /* a block of rb rows, else one row */
#define DW_FWD_ROWS(R, NV) FWD_BODY(R, NV, ntap, ib, in_rs, toff, wt, vb, yb, y_rs, last)
            switch (nv) {
            case 1: if (block) DW_FWD_ROWS(8, 1); else DW_FWD_ROWS(1, 1); break;
            case 2: if (block) DW_FWD_ROWS(4, 2); else DW_FWD_ROWS(1, 2); break;
            case 3: if (block) DW_FWD_ROWS(2, 3); else DW_FWD_ROWS(1, 3); break;
            default: if (block) DW_FWD_ROWS(2, 4); else DW_FWD_ROWS(1, 4); break;
            }
#undef DW_FWD_ROWS
            r += block ? rb : 1;
        }
    }
}

/* 3x3 unit stride/dilation (toff[kh*3 + kw] = toff[0] + kh*in_rs + kw): R output rows x NV column
 * vectors; packed input row i feeds output rows i-2..i, each in the order of FWD_BODY (kh, then kw). */
static inline __attribute__((always_inline)) CK_TARGET void
FWD3_BODY(const int R, const int NV, const REAL *in, ck_index in_rs, const REAL *wt, VT vb, REAL *y,
          ck_index y_rs, int last)
{
    VT a[DW3_R * DW3_NV], wv[9];
    DW3_START(R, NV, wt, vb);
#pragma GCC unroll 10
    for (int i = 0; i < R + 2; ++i) {
        const REAL *s = in + i * in_rs;
#ifdef DW3_VALIGN
        VT cur = VLOAD(s);
#endif
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
#ifdef DW3_VALIGN
            /* the shifted vectors from two whole ones (the packed row holds a vector past the last
             * output column): no load that splits a cache line */
            const VT nxt = VLOAD(s + (v + 1) * LANES);
            const VT x0 = cur, x1 = DW3_VALIGN(nxt, cur, 1), x2 = DW3_VALIGN(nxt, cur, 2);
            cur = nxt;
#else
            const VT x0 = VLOAD(s + v * LANES), x1 = VLOAD(s + v * LANES + 1), x2 = VLOAD(s + v * LANES + 2);
#endif
            DW3_ROW(R, NV, i, v, x0, x1, x2);
        }
    }
    FWD_STORE(R, NV, a, y, y_rs, last);
}

static inline __attribute__((always_inline)) CK_TARGET void
FWD3_COLS(const int NV, ck_index nrows, const REAL *in, ck_index in_rs, const REAL *wt, VT vb, REAL *y,
          ck_index y_rs, int last)
{
    ck_index r = 0;
    for (; r + DW3_R <= nrows; r += DW3_R)
        FWD3_BODY(DW3_R, NV, in + r * in_rs, in_rs, wt, vb, y + r * y_rs, y_rs, last);
    for (; r + 2 <= nrows; r += 2)
        FWD3_BODY(2, NV, in + r * in_rs, in_rs, wt, vb, y + r * y_rs, y_rs, last);
    for (; r < nrows; ++r)
        FWD3_BODY(1, NV, in + r * in_rs, in_rs, wt, vb, y + r * y_rs, y_rs, last);
}

static CK_TARGET void FWD3_ROWS(ck_index nrows, const REAL *in, ck_index in_rs, const REAL *wt, REAL bias,
                                ck_index ow, REAL *y, ck_index y_rs)
{
    const VT vb = VBCAST(&bias);
    for (ck_index j0 = 0; j0 < ow; j0 += DW3_NV * LANES) {
        DW_COL_STEP(ow, j0, DW3_NV, nv, last);
        switch (nv) {
#if DW3_NV >= 4
        case 4: FWD3_COLS(4, nrows, in + j0, in_rs, wt, vb, y + j0, y_rs, last); break;
        case 3: FWD3_COLS(3, nrows, in + j0, in_rs, wt, vb, y + j0, y_rs, last); break;
#endif
#if DW3_NV >= 2
        case 2: FWD3_COLS(2, nrows, in + j0, in_rs, wt, vb, y + j0, y_rs, last); break;
#endif
        default: FWD3_COLS(1, nrows, in + j0, in_rs, wt, vb, y + j0, y_rs, last); break;
        }
    }
}

#ifdef FWD3U_ROWS
/* FWD3_BODY on the unpacked plane (fwd3u of depthwise_kernels.h): output rows r < R of the block
 * whose kh = 0 tap reads input row ih0, vector v's kw = 0 tap input columns s0 + v*LANES ...
 * Rows outside the image read zrow (zeros: the same FMAs with zero as the packed rows). Vectors
 * whose loads leave [0, IW) load whole vectors across the row's ends (the caller guarantees that
 * they stay inside the tensor) and zero the outside lanes with msk[v][kw]: EDGE bit 1 the first
 * vector, bit 2 the last, bit 4 every vector. The others are plain unaligned loads. */
static inline __attribute__((always_inline)) CK_TARGET void
FWD3U_BODY(const int R, const int NV, const int EDGE, const REAL *plane, const REAL *zrow, ck_index IH,
           ck_index IW, ck_index ih0, ck_index s0, const VMASK_T (*msk)[3], const REAL *wt, VT vb, REAL *y,
           ck_index y_rs, int last)
{
    VT a[DW3_R * DW3_NV], wv[9];
    DW3_START(R, NV, wt, vb);
#pragma GCC unroll 10
    for (int i = 0; i < R + 2; ++i) {
        const ck_index ih = ih0 + i;
        const REAL *row = (ih >= 0 && ih < IH ? plane + ih * IW : zrow) + s0;
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            const REAL *p = row + v * LANES;
            VT x0 = VLOAD(p), x1 = VLOAD(p + 1), x2 = VLOAD(p + 2);
            if ((EDGE & 4) || ((EDGE & 1) && v == 0) || ((EDGE & 2) && v == NV - 1)) {
                x0 = DW3U_VAND(x0, msk[v][0]);
                x1 = DW3U_VAND(x1, msk[v][1]);
                x2 = DW3U_VAND(x2, msk[v][2]);
            }
            DW3_ROW(R, NV, i, v, x0, x1, x2);
        }
    }
    FWD_STORE(R, NV, a, y, y_rs, last);
}

static inline __attribute__((always_inline)) CK_TARGET void
FWD3U_COLS(const int NV, const int EDGE, ck_index nrows, const REAL *plane, const REAL *zrow, ck_index IH,
           ck_index IW, ck_index ih0, ck_index s0, const VMASK_T (*msk)[3], const REAL *wt, VT vb, REAL *y,
           ck_index y_rs, int last)
{
    ck_index r = 0;
    for (; r + DW3_R <= nrows; r += DW3_R)
        FWD3U_BODY(DW3_R, NV, EDGE, plane, zrow, IH, IW, ih0 + r, s0, msk, wt, vb, y + r * y_rs, y_rs, last);
    for (; r < nrows; ++r)
        FWD3U_BODY(1, NV, EDGE, plane, zrow, IH, IW, ih0 + r, s0, msk, wt, vb, y + r * y_rs, y_rs, last);
}

/* Column steps of DW3_NV vectors, each classified once for all its rows. */
CK_TARGET void FWD3U_ROWS(ck_index nrows, const REAL *plane, const REAL *zrow, ck_index IH, ck_index IW,
                          ck_index ih0, ck_index pl, const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs)
{
    const VT vb = VBCAST(&bias);
    for (ck_index j0 = 0; j0 < ow; j0 += DW3_NV * LANES) {
        DW_COL_STEP(ow, j0, DW3_NV, nv, last);
        const ck_index s0 = j0 - pl;
        VMASK_T msk[DW3_NV][3];
        int out = 0; /* bit v: vector v has lanes outside [0, IW) */
        for (int v = 0; v < nv; ++v)
            for (int kw = 0; kw < 3; ++kw) {
                const ck_index s = s0 + v * LANES + kw;
                const ck_index lo = s < 0 ? (-s < LANES ? -s : LANES) : 0;
                const ck_index hi = IW - s < LANES ? (IW - s > lo ? IW - s : lo) : LANES;
                msk[v][kw] = VMASK(hi) & ~VMASK(lo);
                out |= (lo > 0 || hi < LANES) << v;
            }
        const int edge = (out & ~(1 | 1 << (nv - 1))) ? 4 : (out & 1 ? 1 : 0) | (out >> (nv - 1) & 1 ? 2 : 0);
        REAL *yj = y + j0;
#define DW_U(NV_)                                                                                   \
    do {                                                                                            \
        switch (edge) {                                                                             \
        case 0: FWD3U_COLS(NV_, 0, nrows, plane, zrow, IH, IW, ih0, s0, msk, wt, vb, yj, y_rs, last); break; \
        case 1: FWD3U_COLS(NV_, 1, nrows, plane, zrow, IH, IW, ih0, s0, msk, wt, vb, yj, y_rs, last); break; \
        case 2: FWD3U_COLS(NV_, 2, nrows, plane, zrow, IH, IW, ih0, s0, msk, wt, vb, yj, y_rs, last); break; \
        case 3: FWD3U_COLS(NV_, 3, nrows, plane, zrow, IH, IW, ih0, s0, msk, wt, vb, yj, y_rs, last); break; \
        default: FWD3U_COLS(NV_, 4, nrows, plane, zrow, IH, IW, ih0, s0, msk, wt, vb, yj, y_rs, last); break; \
        }                                                                                           \
    } while (0)
        switch (nv) {
#if DW3_NV >= 4
        case 4: DW_U(4); break;
        case 3: DW_U(3); break;
#endif
#if DW3_NV >= 2
        case 2: DW_U(2); break;
#endif
        default: DW_U(1); break;
        }
#undef DW_U
    }
}
#endif /* FWD3U_ROWS */

CK_TARGET void FWD_ROWS(ck_index nrows, const REAL *in, ck_index in_rs, ck_index ntap, const ck_index *toff,
                        const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs)
{
    if (ck_depthwise_is_3x3(ntap, toff, in_rs))
        FWD3_ROWS(nrows, in + toff[0], in_rs, wt, bias, ow, y, y_rs);
    /* a constant tap count (3x3) lets the compiler unroll the tap loop */
    else if (ntap == 9)
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
            const VT d = VMASKLOAD(dr + j, VMASK(ow - j));
#pragma GCC unroll 12
            for (int t = 0; t < NT; ++t)
                a[t] = VFMA(d, VLOAD(base + toff[t] + j), a[t]);
        }
    }
#pragma GCC unroll 12
    for (int t = 0; t < NT; ++t)
        VSTORE(acc + t * LANES, a[t]);
}

/* 3x3 unit stride/dilation: packed input row i across the plane, its three shifted vectors loaded
 * once for the 9 taps (tap (kh, kw) pairs input row i with dy row i - kh); rows, then columns, in
 * order, so each tap sums in BWW_BODY's order. Rows a tap does not reach are skipped, not multiplied
 * by zero (an inf in the input stays out of the taps that never see it). */
static CK_TARGET void BWW3_ROWS(ck_index nrows, const REAL *dy, ck_index dy_rs, ck_index ow, const REAL *in,
                                ck_index in_rs, REAL *acc)
{
    VT a[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t)
        a[t] = VLOAD(acc + t * LANES);
    const ck_index jf = ow / LANES * LANES;
    const VMASK_T m = VMASK(ow - jf > 0 ? ow - jf : 1);
    for (ck_index i = 0; i < nrows + 2; ++i) {
        const REAL *s = in + i * in_rs;
        /* dy rows i, i-1, i-2 (tap rows kh = 0, 1, 2) where they exist */
        const int u0 = i < nrows, u1 = i >= 1 && i - 1 < nrows, u2 = i >= 2;
        const REAL *d0 = dy + i * dy_rs, *d1 = d0 - dy_rs, *d2 = d1 - dy_rs;
#define DW_TAPS(kh, d)                                                                              \
    do {                                                                                            \
        a[(kh) * 3 + 0] = VFMA((d), x0, a[(kh) * 3 + 0]);                                           \
        a[(kh) * 3 + 1] = VFMA((d), x1, a[(kh) * 3 + 1]);                                           \
        a[(kh) * 3 + 2] = VFMA((d), x2, a[(kh) * 3 + 2]);                                           \
    } while (0)
#define DW_COL(j, LD)                                                                               \
    do {                                                                                            \
        const VT x0 = VLOAD(s + (j)), x1 = VLOAD(s + (j) + 1), x2 = VLOAD(s + (j) + 2);             \
        if (u0)                                                                                     \
            DW_TAPS(0, LD(d0 + (j)));                                                               \
        if (u1)                                                                                     \
            DW_TAPS(1, LD(d1 + (j)));                                                               \
        if (u2)                                                                                     \
            DW_TAPS(2, LD(d2 + (j)));                                                               \
    } while (0)
#define DW_LDF(p) VLOAD(p)
#define DW_LDM(p) VMASKLOAD((p), m)
        for (ck_index j = 0; j < jf; j += LANES)
            DW_COL(j, DW_LDF);
        if (jf < ow)
            DW_COL(jf, DW_LDM);
#undef DW_TAPS
#undef DW_COL
#undef DW_LDF
#undef DW_LDM
    }
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t)
        VSTORE(acc + t * LANES, a[t]);
}

CK_TARGET void BWW_ROWS(ck_index nrows, const REAL *dy, ck_index dy_rs, ck_index ow, const REAL *in,
                        ck_index in_rs, ck_index ntap, const ck_index *toff, REAL *acc)
{
    if (ck_depthwise_is_3x3(ntap, toff, in_rs)) {
        BWW3_ROWS(nrows, dy, dy_rs, ow, in + toff[0], in_rs, acc);
        return;
    }
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

/* one vector of the packed row at column j0: lanes l with 0 <= j0 + l + off < n, zeros elsewhere */
static inline __attribute__((always_inline)) CK_TARGET void
PACK_EDGE(REAL *dst, const REAL *src, ck_index j0, ck_index n, ck_index off)
{
    const ck_index lo = j0 + off >= 0 ? 0 : -(j0 + off);
    const ck_index hi = n - off - j0 >= LANES ? LANES : n - off - j0;
    if (hi <= lo)
        VSTORE(dst + j0, VZERO());
    else
        VSTORE(dst + j0, VLOADR(src + j0 + off, (int)lo, (int)hi));
}

CK_TARGET void PACK_ROWS(REAL *dst, ck_index Jp, const REAL *src, ck_index src_rs, ck_index nrows, ck_index n,
                         ck_index off)
{
    /* whole vectors for j0 in [jf0, jf1): 0 <= j0 + off and j0 + off + LANES <= n; the row ends
     * (the halo, a few vectors) take the masked path */
    const ck_index lo = off >= 0 ? 0 : (-off + LANES - 1) / LANES * LANES;
    const ck_index hi = n - off - LANES >= 0 ? ((n - off - LANES) / LANES + 1) * LANES : 0;
    const ck_index jf0 = lo < Jp ? lo : Jp, jf1 = hi < jf0 ? jf0 : (hi < Jp ? hi : Jp);
    for (ck_index r = 0; r < nrows; ++r, dst += Jp, src += src_rs) {
        ck_index j0 = 0;
        for (; j0 < jf0; j0 += LANES)
            PACK_EDGE(dst, src, j0, n, off);
        for (; j0 < jf1; j0 += LANES)
            VSTORE(dst + j0, VLOAD(src + j0 + off));
        for (; j0 < Jp; j0 += LANES)
            PACK_EDGE(dst, src, j0, n, off);
    }
}

#undef VLOADR
#undef DW_COL_STEP
#undef DW3_START
#undef DW3_ROW
#undef PACK_ROWS
#undef PACK_EDGE
#undef FWD_ROWS
#undef FWD_BODY
#undef FWD_STORE
#undef FWD3_BODY
#undef FWD_ROWS_T
#undef BWW_ROWS
#undef BWW_BODY
#undef BWW3_ROWS
#undef FWD3_COLS
#undef FWD3_ROWS
#undef DW3U_VAND
#undef FWD3U_BODY
#undef FWD3U_COLS
#undef FWD3U_ROWS
#undef DW3_R
#undef DW3_NV
#undef DW3_VALIGN
