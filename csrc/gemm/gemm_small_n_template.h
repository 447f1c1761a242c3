/*
 * gemm_small_n_template.h -- one ISA and dtype of the small-N GEMM (contract: gemm_small_n.h).
 * Included after the ISA's cnnkern/ck_simd_<isa>.h and ck_simd_f32.h / ck_simd_f64.h, with SMALL_N
 * (the entry point), TILE (its register tile) and MR (rows of the tile: MR x 3 vectors of accumulators
 * plus 3 of B and one broadcast fit the ISA's registers) #defined; #undefs them.
 */

/* C[0..R)[0..cols) (+)= op(A) @ B over all of K, cols = (NV - 1) * LANES + last: R x NV accumulators,
 * B's row k loaded once (the last vector masked) for the R broadcasts of op(A)'s column k. Each element
 * is one FMA chain over k in order, whichever vector and tile it falls in. */
static inline __attribute__((always_inline)) CK_TARGET void
TILE(const int R, const int NV, ck_index K, const REAL *A, ck_index rsa, ck_index csa, const REAL *B,
     ck_index ldb, int accumulate, REAL *C, ck_index ldc, int last)
{
    const VMASK_T mask = VMASK(last);
    VT acc[MR * 3];
#pragma GCC unroll 24
    for (int i = 0; i < R * NV; ++i)
        acc[i] = VZERO();
    for (ck_index k = 0; k < K; ++k) {
        const REAL *b = B + k * ldb, *a = A + k * csa;
        VT bv[3];
#pragma GCC unroll 3
        for (int v = 0; v < NV - 1; ++v)
            bv[v] = VLOAD(b + v * LANES);
        bv[NV - 1] = last == LANES ? VLOAD(b + (NV - 1) * LANES) : VMASKLOAD(b + (NV - 1) * LANES, mask);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const VT av = VBCAST(a + r * rsa);
#pragma GCC unroll 3
            for (int v = 0; v < NV; ++v)
                acc[r * NV + v] = VFMA(av, bv[v], acc[r * NV + v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
        for (int v = 0; v < NV; ++v) {
            REAL *c = C + r * ldc + v * LANES;
            if (v < NV - 1 || last == LANES)
                VSTORE(c, accumulate ? VADD(VLOAD(c), acc[r * NV + v]) : acc[r * NV + v]);
            else
                VMASKSTORE(c, mask, accumulate ? VADD(VMASKLOAD(c, mask), acc[r * NV + v]) : acc[r * NV + v]);
        }
}

CK_TARGET void SMALL_N(int trans_a, ck_index M, ck_index N, ck_index K, const REAL *A, ck_index lda, const REAL *B,
                       ck_index ldb, int accumulate, REAL *C, ck_index ldc)
{
    const ck_index rsa = trans_a ? 1 : lda, csa = trans_a ? lda : 1;
    const ck_index nvec = (N + LANES - 1) / LANES;
    for (ck_index m0 = 0; m0 < M; m0 += MR) {
        const int R = M - m0 < MR ? (int)(M - m0) : MR;
        const REAL *Am = A + m0 * rsa;
        for (ck_index v0 = 0; v0 < nvec; v0 += 3) {
            const int NV = nvec - v0 < 3 ? (int)(nvec - v0) : 3;
            const int last = (int)(N - (v0 + NV - 1) * LANES < LANES ? N - (v0 + NV - 1) * LANES : LANES);
            const REAL *Bv = B + v0 * LANES;
            REAL *Cv = C + m0 * ldc + v0 * LANES;
#define SN_TILE(R_)                                                                                \
    do {                                                                                           \
        if (NV == 3)                                                                               \
            TILE(R_, 3, K, Am, rsa, csa, Bv, ldb, accumulate, Cv, ldc, last);                      \
        else if (NV == 2)                                                                          \
            TILE(R_, 2, K, Am, rsa, csa, Bv, ldb, accumulate, Cv, ldc, last);                      \
        else                                                                                       \
            TILE(R_, 1, K, Am, rsa, csa, Bv, ldb, accumulate, Cv, ldc, last);                      \
    } while (0)
            switch (R) {
            case 1: SN_TILE(1); break;
            case 2: SN_TILE(2); break;
            case 3: SN_TILE(3); break;
#if MR >= 8
            case 4: SN_TILE(4); break;
            case 5: SN_TILE(5); break;
            case 6: SN_TILE(6); break;
            case 7: SN_TILE(7); break;
#endif
            default: SN_TILE(MR); break;
            }
#undef SN_TILE
        }
    }
}

#undef SMALL_N
#undef TILE
#undef MR
