/* kernels_avx512_shift_template.h -- the AVX-512 unit-shift tap sum; included by kernels_avx512.c
 * (contract: separable_kernels.h). */

/* ---- TAPSUM_SHIFT: unit-step shifts of one row, out[j] (+)= sum_t coef[t] src[j + t] ---- */
/* Per block of SV vectors and chunk of (up to) LANES taps: SV + 1 loads of the row, then each tap's
 * shifted vectors come from register pairs by valign (ALIGNR), so one load feeds up to LANES taps
 * instead of one (the split-line unaligned loads bound TAPSUM to ~1 FMA per cycle). The last vector
 * of a chunk is loaded masked to the lanes the chunk's taps use, so nothing past src[n + ntap - 2]
 * is read. Each element is the same FMA chain in tap order as TAPSUM. */
#define CK_SEP_SH_STEP(B)                                                                              \
    if ((B) < nb) {                                                                                    \
        const VT c = VBCAST(coef + t0 + (B));                                                          \
        for (int r = 0; r < NR; ++r)                                                                   \
            for (int v = 0; v < NV; ++v)                                                               \
                acc[r][v] = VFMA(c, (B) == 0 ? A[r][v] : ALIGNR(A[r][v + 1], A[r][v], (B)), acc[r][v]); \
    }
/* NRR rows (src + r*sstride -> out + r*ostride) x NVV vectors from column j */
#define CK_SEP_SH_BLOCK(NRR, NVV)                                                                      \
    do {                                                                                               \
        enum { NR = NRR, NV = NVV };                                                                   \
        VT acc[NR][NV], A[NR][NV + 1];                                                                 \
        for (int r = 0; r < NR; ++r)                                                                   \
            for (int v = 0; v < NV; ++v)                                                               \
                acc[r][v] = accumulate ? VLOAD(out + r * ostride + j + v * LANES) : VZERO();           \
        for (ck_index t0 = 0; t0 < ntap; t0 += LANES) {                                                \
            const int nb = ntap - t0 < LANES ? (int)(ntap - t0) : LANES;                               \
            for (int r = 0; r < NR; ++r) {                                                             \
                const REAL *s = src + r * sstride + j + t0;                                            \
                for (int v = 0; v < NV; ++v)                                                           \
                    A[r][v] = VLOAD(s + v * LANES);                                                    \
                A[r][NV] = VMASKLOAD(s + NV * LANES, VMASK(nb - 1));                                   \
            }                                                                                          \
            CK_SEP_SH_STEPS                                                                            \
        }                                                                                              \
        for (int r = 0; r < NR; ++r)                                                                   \
            for (int v = 0; v < NV; ++v)                                                               \
                VSTORE(out + r * ostride + j + v * LANES, acc[r][v]);                                  \
    } while (0)

CK_TARGET void TAPSUM_SHIFT(ck_index n, ck_index ntap, const REAL *src, const REAL *coef, REAL *out,
                            int accumulate)
{
    const ck_index sstride = 0, ostride = 0;
    ck_index j = 0;
    for (; j + SV * LANES <= n; j += SV * LANES)
        CK_SEP_SH_BLOCK(1, SV);
    /* shorter blocks for the rest, so a short row still has several independent FMA chains */
    if (j + 4 * LANES <= n) {
        CK_SEP_SH_BLOCK(1, 4);
        j += 4 * LANES;
    }
    if (j + 2 * LANES <= n) {
        CK_SEP_SH_BLOCK(1, 2);
        j += 2 * LANES;
    }
    if (j + LANES <= n) {
        CK_SEP_SH_BLOCK(1, 1);
        j += LANES;
    }
    if (j < n) {
        const VMASK_T m = VMASK(n - j);
        VT a = accumulate ? VMASKLOAD(out + j, m) : VZERO();
        for (ck_index t = 0; t < ntap; ++t)
            a = VFMA(VBCAST(coef + t), VMASKLOAD(src + j + t, m), a);
        VMASKSTORE(out + j, m, a);
    }
}

/* TAPSUM_SHIFT_ROWS: short rows (n < 2*SV vectors) in pairs (twice the independent FMA chains of one
 * short row: a 64-float row has only 4 vectors), blocks of SV/2 vectors per row; the tails and long
 * rows row by row. Measured (1 thread, 4x32x64x64, k = 31 rank-1, float32 forward): 38 -> 15 ms. */
CK_TARGET void TAPSUM_SHIFT_ROWS(ck_index n, ck_index nrows, ck_index ntap, const REAL *src, ck_index sstride,
                                 const REAL *coef, REAL *out, ck_index ostride, int accumulate)
{
    ck_index r0 = 0;
    /* long rows have enough chains: one at a time (fewer loads per FMA) */
    for (; n < 2 * SV * LANES && r0 + 2 <= nrows; r0 += 2, src += 2 * sstride, out += 2 * ostride) {
        ck_index j = 0;
        for (; j + (SV / 2) * LANES <= n; j += (SV / 2) * LANES)
            CK_SEP_SH_BLOCK(2, SV / 2);
        if (j + 2 * LANES <= n) {
            CK_SEP_SH_BLOCK(2, 2);
            j += 2 * LANES;
        }
        if (j + LANES <= n) {
            CK_SEP_SH_BLOCK(2, 1);
            j += LANES;
        }
        if (j < n) {
            TAPSUM_SHIFT(n - j, ntap, src + j, coef, out + j, accumulate);
            TAPSUM_SHIFT(n - j, ntap, src + sstride + j, coef, out + ostride + j, accumulate);
        }
    }
    for (; r0 < nrows; ++r0, src += sstride, out += ostride)
        TAPSUM_SHIFT(n, ntap, src, coef, out, accumulate);
}
#undef CK_SEP_SH_STEP
#undef CK_SEP_SH_BLOCK
#undef CK_SEP_SH_STEPS
#undef TAPSUM_SHIFT
#undef TAPSUM_SHIFT_ROWS
#undef SV
#undef ALIGNR
