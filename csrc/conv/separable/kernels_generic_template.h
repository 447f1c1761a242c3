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

#undef REAL
#undef TAPSUM
