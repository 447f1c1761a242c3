/*
 * corr1d_simd_template.h -- the SIMD body of the 1-D direct correlation (contract: cnnkern/ck_signal.h).
 * Included by corr1d_avx2.c / corr1d_avx512.c with REAL, VT, LANES, VZERO, VLOAD, VSTORE, VBCAST,
 * VFMA, CK_TARGET and CORR1D (the function name) defined; #undefs them at the end.
 *
 * Tile: 8 vectors of consecutive outputs (8 * LANES outputs) held in registers while the taps run
 * j = 0..k-1: one broadcast of w[j] and 8 unaligned loads of x[i + j + v * LANES] per tap. The inputs
 * a tile touches (8 * LANES + k values) stay in L1. Then single-vector tiles, then a scalar tail.
 * Every output is summed in tap order j = 0..k-1, like the generic kernel.
 */
void CK_TARGET CORR1D(ck_index n, const REAL *x, ck_index k, const REAL *w, REAL *y)
{
    const ck_index out = n - k + 1;
    const ck_index tile = 8 * LANES;
    ck_index i = 0;
    for (; i + tile <= out; i += tile) {
        VT a0 = VZERO(), a1 = VZERO(), a2 = VZERO(), a3 = VZERO();
        VT a4 = VZERO(), a5 = VZERO(), a6 = VZERO(), a7 = VZERO();
        const REAL *xs = x + i;
        for (ck_index j = 0; j < k; ++j) {
            const VT wj = VBCAST(w + j);
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
        VSTORE(y + i + 0 * LANES, a0);
        VSTORE(y + i + 1 * LANES, a1);
        VSTORE(y + i + 2 * LANES, a2);
        VSTORE(y + i + 3 * LANES, a3);
        VSTORE(y + i + 4 * LANES, a4);
        VSTORE(y + i + 5 * LANES, a5);
        VSTORE(y + i + 6 * LANES, a6);
        VSTORE(y + i + 7 * LANES, a7);
    }
    for (; i + LANES <= out; i += LANES) {
        VT a0 = VZERO();
        for (ck_index j = 0; j < k; ++j)
            a0 = VFMA(VBCAST(w + j), VLOAD(x + i + j), a0);
        VSTORE(y + i, a0);
    }
    for (; i < out; ++i) {
        REAL acc = 0;
        for (ck_index j = 0; j < k; ++j)
            acc += w[j] * x[i + j];
        y[i] = acc;
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
#undef CORR1D
