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

#define CK_TARGET
#include "kernels_shift_fallback_template.h"
#undef CK_TARGET

#undef REAL
#undef TAPSUM
#undef TAPSUM_ROWS
#undef TAPSUM_SHIFT
#undef TAPSUM_SHIFT_ROWS
