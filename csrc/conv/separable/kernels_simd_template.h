/* kernels_simd_template.h -- the SIMD tap-sum kernels; included by kernels_avx2.c and kernels_avx512.c
 * after cnnkern/ck_simd_<isa>.h and ck_simd_<dtype>.h (REAL, VT, VMASK_T, LANES, the V* operations,
 * CK_TARGET) and with TAPSUM, TAPSUM_ROWS, TAPSUM_SHIFT (built here from TAPSUM unless
 * CK_SEP_SHIFT_NATIVE, when the includer defines it), HB (vectors per block of TAPSUM),
 * RR (rows per block of TAPSUM_ROWS) and VV (vectors per row in its blocks) #defined (contract: separable_kernels.h). */

CK_TARGET void TAPSUM(ck_index n, ck_index ntap, const REAL *const *src, const REAL *coef, REAL *out,
                      int accumulate)
{
    ck_index j = 0;
    for (; j + HB * LANES <= n; j += HB * LANES) {
        VT a[HB];
        for (int v = 0; v < HB; ++v)
            a[v] = accumulate ? VLOAD(out + j + v * LANES) : VZERO();
        for (ck_index t = 0; t < ntap; ++t) {
            const VT c = VBCAST(coef + t);
            const REAL *s = src[t] + j;
            for (int v = 0; v < HB; ++v)
                a[v] = VFMA(c, VLOAD(s + v * LANES), a[v]);
        }
        for (int v = 0; v < HB; ++v)
            VSTORE(out + j + v * LANES, a[v]);
    }
    if (HB > 4 && j + 4 * LANES <= n) { /* the rest in blocks of 4, 2, 1: independent FMA chains */
        VT a[4];
        for (int v = 0; v < 4; ++v)
            a[v] = accumulate ? VLOAD(out + j + v * LANES) : VZERO();
        for (ck_index t = 0; t < ntap; ++t) {
            const VT c = VBCAST(coef + t);
            const REAL *s = src[t] + j;
            for (int v = 0; v < 4; ++v)
                a[v] = VFMA(c, VLOAD(s + v * LANES), a[v]);
        }
        for (int v = 0; v < 4; ++v)
            VSTORE(out + j + v * LANES, a[v]);
        j += 4 * LANES;
    }
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
        VT a0 = accumulate ? VLOAD(out + j) : VZERO();
        VT a1 = accumulate ? VLOAD(out + j + LANES) : VZERO();
        for (ck_index t = 0; t < ntap; ++t) {
            const VT c = VBCAST(coef + t);
            a0 = VFMA(c, VLOAD(src[t] + j), a0);
            a1 = VFMA(c, VLOAD(src[t] + j + LANES), a1);
        }
        VSTORE(out + j, a0);
        VSTORE(out + j + LANES, a1);
    }
    for (; j < n; j += LANES) {
        const ck_index rem = n - j;
        if (rem >= LANES) {
            VT a = accumulate ? VLOAD(out + j) : VZERO();
            for (ck_index t = 0; t < ntap; ++t)
                a = VFMA(VBCAST(coef + t), VLOAD(src[t] + j), a);
            VSTORE(out + j, a);
        } else {
            const VMASK_T m = VMASK(rem);
            VT a = accumulate ? VMASKLOAD(out + j, m) : VZERO();
            for (ck_index t = 0; t < ntap; ++t)
                a = VFMA(VBCAST(coef + t), VMASKLOAD(src[t] + j, m), a);
            VMASKSTORE(out + j, m, a);
        }
    }
}


/* TAPSUM_ROWS: RR output rows at a time over a strip of VV vectors (NV = VV or 1): each source row is
 * loaded once per strip and feeds the (up to RR) outputs whose window holds it, tap t = r - q for
 * output q, so every output element is the same FMA chain in tap order as in TAPSUM. The RR*NV
 * accumulators, NV loaded vectors and RR coefficient broadcasts live in registers. Only rows
 * [mlo, mhi) exist (the others are skipped like taps outside the input in the per-row pass). */
#define CK_SEP_ROWS_BLOCK(NV, LOAD, STORE)                                                             \
    do {                                                                                               \
        VT acc[RR][NV];                                                                                \
        for (int q = 0; q < RR; ++q)                                                                   \
            for (int v = 0; v < NV; ++v)                                                               \
                acc[q][v] = accumulate ? LOAD(out[q] + j + v * LANES) : VZERO();                       \
        for (ck_index r = rb; r < re; ++r) {                                                           \
            VT l[NV];                                                                                  \
            for (int v = 0; v < NV; ++v)                                                               \
                l[v] = LOAD(rows[r] + j + v * LANES);                                                  \
            if (r >= RR - 1 && r < ntap) { /* every output of the block uses row r */                  \
                for (int q = 0; q < RR; ++q) {                                                         \
                    const VT c = VBCAST(coef + (r - q));                                               \
                    for (int v = 0; v < NV; ++v)                                                       \
                        acc[q][v] = VFMA(c, l[v], acc[q][v]);                                          \
                }                                                                                      \
            } else {                                                                                   \
                for (int q = 0; q < RR; ++q) {                                                         \
                    if (r - q < 0 || r - q >= ntap)                                                    \
                        continue;                                                                      \
                    const VT c = VBCAST(coef + (r - q));                                               \
                    for (int v = 0; v < NV; ++v)                                                       \
                        acc[q][v] = VFMA(c, l[v], acc[q][v]);                                          \
                }                                                                                      \
            }                                                                                          \
        }                                                                                              \
        for (int q = 0; q < RR; ++q)                                                                   \
            for (int v = 0; v < NV; ++v)                                                               \
                STORE(out[q] + j + v * LANES, acc[q][v]);                                              \
    } while (0)

CK_TARGET void TAPSUM_ROWS(ck_index n, ck_index nout, ck_index ntap, const REAL *const *rows, ck_index mlo,
                           ck_index mhi, const REAL *coef, REAL *const *out, int accumulate)
{
    ck_index q0 = 0;
    if (ntap > 0)
        for (; q0 + RR <= nout; q0 += RR, rows += RR, out += RR, mlo -= RR, mhi -= RR) {
            const ck_index rb = mlo > 0 ? mlo : 0, re = mhi < ntap + RR - 1 ? mhi : ntap + RR - 1;
            ck_index j = 0;
#define CK_SEP_LOAD(p) VLOAD(p)
#define CK_SEP_STORE(p, v) VSTORE((p), (v))
            for (; j + VV * LANES <= n; j += VV * LANES)
                CK_SEP_ROWS_BLOCK(VV, CK_SEP_LOAD, CK_SEP_STORE);
            for (; j + LANES <= n; j += LANES)
                CK_SEP_ROWS_BLOCK(1, CK_SEP_LOAD, CK_SEP_STORE);
#undef CK_SEP_LOAD
#undef CK_SEP_STORE
            if (j < n) {
                const VMASK_T m = VMASK(n - j);
#define CK_SEP_LOAD(p) VMASKLOAD((p), m)
#define CK_SEP_STORE(p, v) VMASKSTORE((p), m, (v))
                CK_SEP_ROWS_BLOCK(1, CK_SEP_LOAD, CK_SEP_STORE);
#undef CK_SEP_LOAD
#undef CK_SEP_STORE
            }
        }
    for (; q0 < nout; ++q0, ++rows, ++out, --mlo, --mhi) {
        const ck_index tlo = mlo > 0 ? mlo : 0, thi = mhi < ntap ? mhi : ntap;
        TAPSUM(n, thi > tlo ? thi - tlo : 0, rows + tlo, coef + tlo, *out, accumulate);
    }
}
#undef CK_SEP_ROWS_BLOCK

#ifndef CK_SEP_SHIFT_NATIVE
#include "kernels_shift_fallback_template.h"
#endif

#undef TAPSUM
#undef TAPSUM_ROWS
#undef TAPSUM_SHIFT
#undef TAPSUM_SHIFT_ROWS
#undef RR
#undef VV
#undef HB
