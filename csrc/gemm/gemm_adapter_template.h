/*
 * gemm_adapter_template.h -- one dtype of gemm_adapter.c. Included with REAL, GEMM_FORTRAN_FN,
 * GEMM_INSTALLED, GEMM_ROWMAJOR, GEMM_NAIVE, GEMM_SMALL_N and GEMM_PANELS #defined (full function names,
 * visible to grep).
 */

/* C[M][N] = alpha * op(A) op(B) + beta * C, row-major, plain loops. */
void GEMM_NAIVE(int trans_a, int trans_b, ck_index M, ck_index N, ck_index K, REAL alpha,
                const REAL *A, ck_index lda, const REAL *B, ck_index ldb, REAL beta, REAL *C, ck_index ldc)
{
    for (ck_index i = 0; i < M; ++i) {
        REAL *c = C + i * ldc;
        if (beta == (REAL)0) {
            for (ck_index j = 0; j < N; ++j)
                c[j] = (REAL)0;
        } else if (beta != (REAL)1) {
            for (ck_index j = 0; j < N; ++j)
                c[j] *= beta;
        }
        for (ck_index p = 0; p < K; ++p) {
            const REAL a = alpha * (trans_a ? A[p * lda + i] : A[i * lda + p]);
            if (a == (REAL)0)
                continue;
            if (!trans_b) {
                const REAL *b = B + p * ldb;
                for (ck_index j = 0; j < N; ++j)
                    c[j] += a * b[j];
            } else {
                for (ck_index j = 0; j < N; ++j)
                    c[j] += a * B[j * ldb + p];
            }
        }
    }
}

/* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands and M/N. */
void GEMM_ROWMAJOR(int trans_a, int trans_b, ck_index M, ck_index N, ck_index K, REAL alpha,
                   const REAL *A, ck_index lda, const REAL *B, ck_index ldb, REAL beta, REAL *C, ck_index ldc)
{
    GEMM_FORTRAN_FN gemm = force_naive ? NULL : GEMM_INSTALLED;
    if (M <= 0 || N <= 0)
        return;
    if (gemm != NULL && small_n_enabled && !trans_b && alpha == (REAL)1 && (beta == (REAL)0 || beta == (REAL)1) &&
        N <= CK_GEMM_SMALL_N_MAX && M >= ck_gemm_small_n_min_m() && K >= CK_GEMM_SMALL_N_MIN_K &&
        (size_t)(K * N) * sizeof(REAL) <= CK_GEMM_SMALL_N_MAX_B_BYTES &&
        blas_pinned_to_one() && GEMM_SMALL_N(trans_a, M, N, K, A, lda, B, ldb, beta == (REAL)1, C, ldc))
        return;
    if (gemm != NULL && small_n_enabled && !trans_b && alpha == (REAL)1 && (beta == (REAL)0 || beta == (REAL)1) &&
        N > CK_GEMM_SMALL_N_MAX && K >= CK_GEMM_SMALL_N_MIN_K &&
        (size_t)(M * K) * sizeof(REAL) <= (trans_a ? CK_GEMM_PANELS_MAX_AT_BYTES : CK_GEMM_PANELS_MAX_A_BYTES) &&
        ldb >= CK_GEMM_PANELS_MIN_LDB &&
        blas_pinned_to_one() && GEMM_PANELS(trans_a, M, N, K, A, lda, B, ldb, beta == (REAL)1, C, ldc))
        return;
    if (gemm == NULL) {
        GEMM_NAIVE(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    assert(ck_gemm_fits(M, K, lda, ldb, ldc));
    const char ta = trans_a ? 'T' : 'N', tb = trans_b ? 'T' : 'N';
    const int m = (int)M, k = (int)K, ilda = (int)lda, ildb = (int)ldb, ildc = (int)ldc;
    for (ck_index j0 = 0; j0 < N; j0 += CK_GEMM_MAX_N) {
        const ck_index nj = N - j0 < CK_GEMM_MAX_N ? N - j0 : CK_GEMM_MAX_N;
        const int n = (int)nj;
        /* columns j0.. of op(B): B[p][j0] when not transposed, B[j0][p] when transposed */
        const REAL *Bj = trans_b ? B + j0 * ldb : B + j0;
        gemm(&tb, &ta, &n, &m, &k, &alpha, Bj, &ildb, A, &ilda, &beta, C + j0, &ildc);
    }
}
