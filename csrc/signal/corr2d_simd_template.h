/*
 * corr2d_simd_template.h -- the SIMD body of the 2-D (and, with one row, 1-D) direct correlation
 * (contract: cnnkern/ck_signal.h). Included by corr2d_simd_dtypes.h after cnnkern/ck_simd_<isa>.h
 * and ck_simd_<dtype>.h (the vector vocabulary, CK_TARGET) with CORR2D_ROWS (the function name)
 * defined; #undefs CORR2D_ROWS at the end.
 *
 * Tile: 8 vectors of consecutive outputs of one row (8 * LANES outputs) stay in registers while the
 * kernel runs, rows i = 0..kh-1 then taps j = 0..kw-1: one broadcast of w[i][j] and 8 unaligned loads
 * of x[r + i][c + j + v * LANES] per tap. The inputs a tile touches (kh rows of 8 * LANES + kw values)
 * stay in L1. A row's last tile overlaps the one before it; rows shorter than a tile run
 * single-vector tiles (the last one overlapping too), rows shorter than a vector a scalar loop. Every output is summed in the order
 * (i, j) = (0, 0), (0, 1), ..., like the generic kernel.
 */
void CK_TARGET CORR2D_ROWS(ck_index row_begin, ck_index row_end, ck_index out_w, const REAL *x,
                           ck_index x_pitch, ck_index kh, ck_index kw, const REAL *w, REAL *y,
                           ck_index y_pitch)
{
    const ck_index tile = 8 * LANES;
    for (ck_index r = row_begin; r < row_end; ++r) {
        const REAL *x_row = x + r * x_pitch;
        REAL *y_row = y + r * y_pitch;
        ck_index c = 0;
        /* full tiles; the last one is shifted left to end at out_w when out_w is not a multiple of
         * the tile (it recomputes some outputs, bit-identically), so no output runs on the
         * latency-bound narrow loops below unless the row is shorter than one tile */
        for (ck_index next = 0; out_w >= tile && next < out_w; next += tile) {
            c = next + tile <= out_w ? next : out_w - tile;
            VT a0 = VZERO(), a1 = VZERO(), a2 = VZERO(), a3 = VZERO();
            VT a4 = VZERO(), a5 = VZERO(), a6 = VZERO(), a7 = VZERO();
            for (ck_index i = 0; i < kh; ++i) {
                const REAL *xs = x_row + i * x_pitch + c;
                const REAL *wi = w + i * kw;
                for (ck_index j = 0; j < kw; ++j) {
                    const VT wj = VBCAST(wi + j);
                    const REAL *p = xs + j;
                    a0 = VFMA(wj, VLOAD(p + 0 * LANES), a0);
                    a1 = VFMA(wj, VLOAD(p + 1 * LANES), a1);
                    a2 = VFMA(wj, VLOAD(p + 2 * LANES), a2);
                    a3 = VFMA(wj, VLOAD(p + 3 * LANES), a3);
                    a4 = VFMA(wj, VLOAD(p + 4 * LANES), a4);
                    a5 = VFMA(wj, VLOAD(p + 5 * LANES), a5);
                    a6 = VFMA(wj, VLOAD(p + 6 * LANES), a6);
                    a7 = VFMA(wj, VLOAD(p + 7 * LANES), a7);
                }
            }
            VSTORE(y_row + c + 0 * LANES, a0);
            VSTORE(y_row + c + 1 * LANES, a1);
            VSTORE(y_row + c + 2 * LANES, a2);
            VSTORE(y_row + c + 3 * LANES, a3);
            VSTORE(y_row + c + 4 * LANES, a4);
            VSTORE(y_row + c + 5 * LANES, a5);
            VSTORE(y_row + c + 6 * LANES, a6);
            VSTORE(y_row + c + 7 * LANES, a7);
            c = out_w;
        }
        for (; c < out_w && out_w >= LANES; c += LANES) {
            if (c + LANES > out_w)
                c = out_w - LANES; /* overlapping last vector, as for the tiles */
            VT a0 = VZERO();
            for (ck_index i = 0; i < kh; ++i)
                for (ck_index j = 0; j < kw; ++j)
                    a0 = VFMA(VBCAST(w + i * kw + j), VLOAD(x_row + i * x_pitch + c + j), a0);
            VSTORE(y_row + c, a0);
        }
        for (; c < out_w; ++c) {
            REAL acc = 0;
            for (ck_index i = 0; i < kh; ++i)
                for (ck_index j = 0; j < kw; ++j)
                    acc += w[i * kw + j] * x_row[i * x_pitch + c + j];
            y_row[c] = acc;
        }
    }
}

#undef CORR2D_ROWS
