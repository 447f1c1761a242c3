/*
 * gemm_adapter_complex_template.h -- one dtype of the complex GEMM of gemm_adapter.c. Included with
 * REAL, CGEMM_INSTALLED, CGEMM_ROWMAJOR and CGEMM_NAIVE #defined. Contract: gemm_adapter.c.
 */

/* C[M][N] (+)= op(A) op(B), row-major interleaved complex, plain loops over a contiguous row of C. */
void CGEMM_NAIVE(int op_a, int op_b, ck_index M, ck_index N, ck_index K, const REAL *A, ck_index lda,
                 const REAL *B, ck_index ldb, int accumulate, REAL *C, ck_index ldc)
{
    const REAL sa = op_a == CK_OP_C ? (REAL)-1 : (REAL)1, sb = op_b == CK_OP_C ? (REAL)-1 : (REAL)1;
    for (ck_index i = 0; i < M; ++i) {
        REAL *c = C + 2 * i * ldc;
        if (!accumulate)
            for (ck_index j = 0; j < 2 * N; ++j)
                c[j] = (REAL)0;
        for (ck_index p = 0; p < K; ++p) {
            const REAL *a = op_a == CK_OP_N ? A + 2 * (i * lda + p) : A + 2 * (p * lda + i);
            const REAL ar = a[0], ai = sa * a[1];
            if (op_b == CK_OP_N) {
                const REAL *b = B + 2 * p * ldb;
                for (ck_index j = 0; j < N; ++j) {
                    const REAL br = b[2 * j], bi = b[2 * j + 1];
                    c[2 * j] += ar * br - ai * bi;
                    c[2 * j + 1] += ar * bi + ai * br;
                }
            } else {
                for (ck_index j = 0; j < N; ++j) {
                    const REAL br = B[2 * (j * ldb + p)], bi = sb * B[2 * (j * ldb + p) + 1];
                    c[2 * j] += ar * br - ai * bi;
                    c[2 * j + 1] += ar * bi + ai * br;
                }
            }
        }
    }
}

/* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, and (X^H)^T = conj(X) is what the
 * column-major view of a row-major X with 'C' denotes: the op letters pass through unchanged. */
void CGEMM_ROWMAJOR(int op_a, int op_b, ck_index M, ck_index N, ck_index K, const REAL *A, ck_index lda,
                    const REAL *B, ck_index ldb, int accumulate, REAL *C, ck_index ldc)
{
    ck_cgemm_fortran_fn gemm = force_naive ? NULL : CGEMM_INSTALLED;
    if (M <= 0 || N <= 0)
        return;
    if (gemm == NULL || N > CK_GEMM_MAX_N) {
        CGEMM_NAIVE(op_a, op_b, M, N, K, A, lda, B, ldb, accumulate, C, ldc);
        return;
    }
    assert(ck_gemm_fits(M, K, lda, ldb, ldc));
    static const char letters[3] = {'N', 'T', 'C'};
    const char ta = letters[op_a], tb = letters[op_b];
    const int m = (int)M, n = (int)N, k = (int)K, ilda = (int)lda, ildb = (int)ldb, ildc = (int)ldc;
    const REAL alpha[2] = {(REAL)1, (REAL)0}, beta[2] = {accumulate ? (REAL)1 : (REAL)0, (REAL)0};
    gemm(&tb, &ta, &n, &m, &k, alpha, B, &ildb, A, &ilda, beta, C, &ildc);
}
