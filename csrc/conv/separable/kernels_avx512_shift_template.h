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
        for (int v = 0; v < NV; ++v)                                                                   \
            acc[v] = VFMA(c, (B) == 0 ? A[v] : ALIGNR(A[v + 1], A[v], (B)), acc[v]);                  \
    }
#define CK_SEP_SH_BLOCK(NVV)                                                                           \
    do {                                                                                               \
        enum { NV = NVV };                                                                             \
        VT acc[NV], A[NV + 1];                                                                         \
        for (int v = 0; v < NV; ++v)                                                                   \
            acc[v] = accumulate ? VLOAD(out + j + v * LANES) : VZERO();                                \
        for (ck_index t0 = 0; t0 < ntap; t0 += LANES) {                                                \
            const int nb = ntap - t0 < LANES ? (int)(ntap - t0) : LANES;                               \
            const REAL *s = src + j + t0;                                                              \
            for (int v = 0; v < NV; ++v)                                                               \
                A[v] = VLOAD(s + v * LANES);                                                           \
            A[NV] = VMASKLOAD(s + NV * LANES, VMASK(nb - 1));                                          \
            CK_SEP_SH_STEPS                                                                            \
        }                                                                                              \
        for (int v = 0; v < NV; ++v)                                                                   \
            VSTORE(out + j + v * LANES, acc[v]);                                                       \
    } while (0)

CK_TARGET void TAPSUM_SHIFT(ck_index n, ck_index ntap, const REAL *src, const REAL *coef, REAL *out,
                            int accumulate)
{
    ck_index j = 0;
    for (; j + SV * LANES <= n; j += SV * LANES)
        CK_SEP_SH_BLOCK(SV);
    /* shorter blocks for the rest, so a short row still has several independent FMA chains */
    if (j + 4 * LANES <= n) {
        CK_SEP_SH_BLOCK(4);
        j += 4 * LANES;
    }
    if (j + 2 * LANES <= n) {
        CK_SEP_SH_BLOCK(2);
        j += 2 * LANES;
    }
    if (j + LANES <= n) {
        CK_SEP_SH_BLOCK(1);
        j += LANES;
    }
    if (j < n) {
        const VI m = VMASK(n - j);
        VT a = accumulate ? VMASKLOAD(out + j, m) : VZERO();
        for (ck_index t = 0; t < ntap; ++t)
            a = VFMA(VBCAST(coef + t), VMASKLOAD(src + j + t, m), a);
        VMASKSTORE(out + j, m, a);
    }
}
#undef CK_SEP_SH_STEP
#undef CK_SEP_SH_BLOCK
#undef CK_SEP_SH_STEPS
#undef TAPSUM_SHIFT
#undef SV
#undef ALIGNR
