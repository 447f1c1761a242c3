/* kernels_shift_fallback_template.h -- TAPSUM_SHIFT and TAPSUM_SHIFT_ROWS built from TAPSUM, for the
 * kernels without a native shifted pass (generic, AVX2). Included by kernels_generic_template.h and
 * kernels_simd_template.h with REAL, TAPSUM, TAPSUM_SHIFT, TAPSUM_SHIFT_ROWS and CK_TARGET (empty for
 * the portable build) #defined (contract: separable_kernels.h). */

/* TAPSUM_SHIFT through TAPSUM: pointer arrays of up to 64 taps on the stack, the chunks chained
 * through out (stored and reloaded exactly), so the sums are TAPSUM's. */
CK_TARGET void TAPSUM_SHIFT(ck_index n, ck_index ntap, const REAL *src, const REAL *coef, REAL *out,
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
CK_TARGET void TAPSUM_SHIFT_ROWS(ck_index n, ck_index nrows, ck_index ntap, const REAL *src, ck_index sstride,
                                 const REAL *coef, REAL *out, ck_index ostride, int accumulate)
{
    for (ck_index r = 0; r < nrows; ++r)
        TAPSUM_SHIFT(n, ntap, src + r * sstride, coef, out + r * ostride, accumulate);
}
