/* kernels_generic_template.h -- one portable tap-sum kernel; included by kernels_generic.c with REAL
 * and TAPSUM #defined (contract: separable_kernels.h). */

void TAPSUM(ck_index n, ck_index ntap, const REAL *const *src, const REAL *coef, REAL *out, int accumulate)
{
    ck_index j = 0;
    for (; j + BLOCK <= n; j += BLOCK) {
        REAL acc[BLOCK];
        for (int l = 0; l < BLOCK; ++l)
            acc[l] = accumulate ? out[j + l] : (REAL)0;
        for (ck_index t = 0; t < ntap; ++t) {
            const REAL c = coef[t];
            const REAL *s = src[t] + j;
            for (int l = 0; l < BLOCK; ++l)
                acc[l] += c * s[l];
        }
        for (int l = 0; l < BLOCK; ++l)
            out[j + l] = acc[l];
    }
    for (; j < n; ++j) {
        REAL acc = accumulate ? out[j] : (REAL)0;
        for (ck_index t = 0; t < ntap; ++t)
            acc += coef[t] * src[t][j];
        out[j] = acc;
    }
}

/* one row at a time: the same sums as the SIMD TAPSUM_ROWS (contract: separable_kernels.h) */
void TAPSUM_ROWS(ck_index n, ck_index nout, ck_index ntap, const REAL *const *rows, ck_index mlo,
                 ck_index mhi, const REAL *coef, REAL *const *out, int accumulate)
{
    for (ck_index q = 0; q < nout; ++q) {
        const ck_index tlo = mlo - q > 0 ? mlo - q : 0, thi = mhi - q < ntap ? mhi - q : ntap;
        TAPSUM(n, thi > tlo ? thi - tlo : 0, rows + q + tlo, coef + tlo, out[q], accumulate);
    }
}

/* TAPSUM_SHIFT through TAPSUM: pointer arrays of up to 64 taps on the stack, the chunks chained
 * through out (stored and reloaded exactly), so the sums are TAPSUM's. */
void TAPSUM_SHIFT(ck_index n, ck_index ntap, const REAL *src, const REAL *coef, REAL *out,
                            int accumulate)
{
    const REAL *p[64];
    ck_index t0 = 0;
    do {
        const ck_index nb = ntap - t0 < 64 ? ntap - t0 : 64;
        for (ck_index t = 0; t < nb; ++t)
            p[t] = src + t0 + t;
        TAPSUM(n, nb, p, coef + t0, out, accumulate || t0 > 0);
        t0 += nb;
    } while (t0 < ntap);
}

/* TAPSUM_SHIFT_ROWS row by row (contract: separable_kernels.h) */
void TAPSUM_SHIFT_ROWS(ck_index n, ck_index nrows, ck_index ntap, const REAL *src, ck_index sstride,
                                 const REAL *coef, REAL *out, ck_index ostride, int accumulate)
{
    for (ck_index r = 0; r < nrows; ++r)
        TAPSUM_SHIFT(n, ntap, src + r * sstride, coef, out + r * ostride, accumulate);
}

#undef REAL
#undef TAPSUM
#undef TAPSUM_ROWS
#undef TAPSUM_SHIFT
#undef TAPSUM_SHIFT_ROWS
