/*
 * gemm_small_n_template.h -- one ISA and dtype of the small-N GEMM (contract: gemm_small_n.h).
 * Included after the ISA's cnnkern/ck_simd_<isa>.h and ck_simd_f32.h / ck_simd_f64.h, with SMALL_N
 * (the entry point), TILE (its register tile), TAIL (the few last columns) and MR (rows of the tile:
 * MR x 3 vectors of accumulators plus 3 of B and one broadcast fit the ISA's registers) #defined;
 * #undefs them. Also needs SN_TAIL_MAX (the most columns TAIL takes) and the ISA's VTRANSPOSE (an
 * in-register transpose of LANES x LANES elements) for the dtype.
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

/* C[0..R)[0..T) (+)= op(A) @ B[.][0..T) with the R <= LANES rows in the lanes: for the T < LANES columns
 * after the last full vector, where a masked column vector would waste LANES - T lanes of every FMA
 * (N = 49: a fourth of all FMAs for one column in 49). op(A)'s column k is one contiguous load
 * (trans_a: rsa == 1), or (row-major A) LANES rows' next LANES elements are loaded and transposed in
 * registers (VTRANSPOSE; a hardware gather was slower on Zen 4). B's elements are broadcast. Each
 * element is the same FMA chain over k, from zero, as in TILE: the same bits. */
static inline __attribute__((always_inline)) CK_TARGET void
TAIL(const int T, int R, ck_index K, const REAL *A, ck_index rsa, ck_index csa, const REAL *B, ck_index ldb,
     int accumulate, REAL *C, ck_index ldc)
{
    const VMASK_T mask = VMASK(R);
    VT acc[SN_TAIL_MAX];
#pragma GCC unroll 4
    for (int c = 0; c < T; ++c)
        acc[c] = VZERO();
    if (rsa == 1) {
        for (ck_index k = 0; k < K; ++k) {
            const VT av = VMASKLOAD(A + k * csa, mask);
            const REAL *b = B + k * ldb;
#pragma GCC unroll 4
            for (int c = 0; c < T; ++c)
                acc[c] = VFMA(av, VBCAST(b + c), acc[c]);
        }
    } else {
        for (ck_index k0 = 0; k0 < K; k0 += LANES) {
            const int kn = K - k0 < LANES ? (int)(K - k0) : LANES;
            const VMASK_T kmask = VMASK(kn);
            VT col[LANES];
#pragma GCC unroll 16
            for (int r = 0; r < LANES; ++r)
                col[r] = r < R ? (kn == LANES ? VLOAD(A + r * rsa + k0) : VMASKLOAD(A + r * rsa + k0, kmask))
                               : VZERO();
            VTRANSPOSE(col); /* col[j] = op(A)[0..LANES)[k0 + j] */
            const REAL *b = B + k0 * ldb;
            if (kn == LANES) {
#pragma GCC unroll 16
                for (int j = 0; j < LANES; ++j)
#pragma GCC unroll 4
                    for (int c = 0; c < T; ++c)
                        acc[c] = VFMA(col[j], VBCAST(b + j * ldb + c), acc[c]);
            } else {
                for (int j = 0; j < kn; ++j)
#pragma GCC unroll 4
                    for (int c = 0; c < T; ++c)
                        acc[c] = VFMA(col[j], VBCAST(b + j * ldb + c), acc[c]);
            }
        }
    }
    REAL buf[LANES];
    for (int c = 0; c < T; ++c) {
        VSTORE(buf, acc[c]);
        for (int r = 0; r < R; ++r)
            C[r * ldc + c] = accumulate ? C[r * ldc + c] + buf[r] : buf[r];
    }
}

CK_TARGET void SMALL_N(int trans_a, ck_index M, ck_index N, ck_index K, const REAL *A, ck_index lda, const REAL *B,
                       ck_index ldb, int accumulate, REAL *C, ck_index ldc)
{
    const ck_index rsa = trans_a ? 1 : lda, csa = trans_a ? lda : 1;
    /* the columns past the last full vector go to TAIL when few */
    const int t = (int)(N % LANES);
    const int tail = t > 0 && t <= SN_TAIL_MAX;
    const ck_index nt = tail ? N - t : N; /* the columns of the vector tiles */
    const ck_index nvec = (nt + LANES - 1) / LANES;
    /* blocks of LANES rows: the vector tiles, then the tail of the same rows while they are in cache */
    for (ck_index mb = 0; mb < M; mb += LANES) {
        const ck_index me = M - mb < LANES ? M : mb + LANES;
        for (ck_index m0 = mb; m0 < me; m0 += MR) {
            const int R = me - m0 < MR ? (int)(me - m0) : MR;
            const REAL *Am = A + m0 * rsa;
            for (ck_index v0 = 0; v0 < nvec; v0 += 3) {
                const int NV = nvec - v0 < 3 ? (int)(nvec - v0) : 3;
                const int last = (int)(nt - (v0 + NV - 1) * LANES < LANES ? nt - (v0 + NV - 1) * LANES : LANES);
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
        if (tail) {
            const int R = (int)(me - mb);
            const REAL *Am = A + mb * rsa;
            REAL *Ct = C + mb * ldc + nt;
            switch (t) {
            case 1: TAIL(1, R, K, Am, rsa, csa, B + nt, ldb, accumulate, Ct, ldc); break;
            case 2: TAIL(2, R, K, Am, rsa, csa, B + nt, ldb, accumulate, Ct, ldc); break;
            case 3: TAIL(3, R, K, Am, rsa, csa, B + nt, ldb, accumulate, Ct, ldc); break;
            default: TAIL(SN_TAIL_MAX, R, K, Am, rsa, csa, B + nt, ldb, accumulate, Ct, ldc); break;
            }
        }
    }
}

#undef SMALL_N
#undef TILE
#undef TAIL
#undef MR
