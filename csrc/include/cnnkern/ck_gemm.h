/*
 * ck_gemm.h -- declarations of the GEMM adapter (how csrc/ reaches a BLAS without linking one).
 * Implementation and full contract (calling convention, row-major wrappers, thread pinning):
 * csrc/gemm/gemm_adapter.c. Users: im2col, fft (complex channel mixing), winograd.
 */
#ifndef CK_GEMM_H
#define CK_GEMM_H

#include <limits.h>

#include "cnnkern/ck_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*ck_sgemm_fortran_fn)(const char *transa, const char *transb, const int *m, const int *n,
                                    const int *k, const float *alpha, const float *a, const int *lda,
                                    const float *b, const int *ldb, const float *beta, float *c,
                                    const int *ldc);
typedef void (*ck_dgemm_fortran_fn)(const char *transa, const char *transb, const int *m, const int *n,
                                    const int *k, const double *alpha, const double *a, const int *lda,
                                    const double *b, const int *ldb, const double *beta, double *c,
                                    const int *ldc);

/* Install the BLAS (either may be NULL: that dtype then uses the naive loops). Call once, at import. */
void ck_gemm_install(ck_sgemm_fortran_fn sgemm, ck_dgemm_fortran_fn dgemm);
/* For tests: 1 routes every GEMM to ck_gemm_naive_*, 0 back to the installed BLAS. */
void ck_gemm_use_naive(int on);
/* For measurements and tests: 0 sends the few-column GEMMs to the BLAS too, 1 (default) to
 * ck_gemm_small_n_* as described there. */
void ck_gemm_use_small_n(int on);
/* 1 if float32 (dtype_size 4) / float64 (8) GEMMs currently go to an installed BLAS. */
int ck_gemm_has_blas(int dtype_size);

typedef void (*ck_blas_set_threads_fn)(int num_threads);
typedef int (*ck_blas_get_threads_fn)(void);
/* Install the BLAS's thread-count setter/getter (both or neither). Call once, at import. */
void ck_gemm_install_threads(ck_blas_set_threads_fn set_threads, ck_blas_get_threads_fn get_threads);
/* 1 if the BLAS can be pinned to one thread (or GEMMs go to the naive loops, which never thread). */
int ck_gemm_can_pin(int dtype_size);
/* Set the BLAS thread count for the duration of a call: 1 around our own parallel loops, the call's
 * num_threads when the BLAS does the threading. Reference-counted across concurrent calls: the first
 * one sets the count (later ones meanwhile run with it), the last one restores the previous count. */
void ck_gemm_pin_begin(int num_threads);
void ck_gemm_pin_end(void);

/* The OpenMP team for a loop whose iterations call the BLAS: when the BLAS can be pinned, it is pinned
 * to one thread (until ck_gemm_team_end(*pinned)) and the loop gets `team`; otherwise the loop runs on
 * one thread and the BLAS threads each call. */
static inline ck_index ck_gemm_team_begin(int dtype_size, ck_index team, int *pinned)
{
    *pinned = ck_gemm_can_pin(dtype_size);
    if (*pinned)
        ck_gemm_pin_begin(1);
    return *pinned ? team : 1;
}
static inline void ck_gemm_team_end(int pinned)
{
    if (pinned)
        ck_gemm_pin_end();
}

/* 1 if a row-major GEMM with these sizes can be passed to a 32-bit-int BLAS (N is chunked). */
static inline int ck_gemm_fits(ck_index m, ck_index k, ck_index lda, ck_index ldb, ck_index ldc)
{
    return m <= INT_MAX && k <= INT_MAX && lda <= INT_MAX && ldb <= INT_MAX && ldc <= INT_MAX;
}

/* Row-major GEMM through the installed BLAS (or the naive loops). Contract: csrc/gemm/gemm_adapter.c. */
void ck_gemm_f32(int trans_a, int trans_b, ck_index M, ck_index N, ck_index K, float alpha,
                 const float *A, ck_index lda, const float *B, ck_index ldb, float beta, float *C,
                 ck_index ldc);
void ck_gemm_f64(int trans_a, int trans_b, ck_index M, ck_index N, ck_index K, double alpha,
                 const double *A, ck_index lda, const double *B, ck_index ldb, double beta, double *C,
                 ck_index ldc);

/* The naive row-major GEMM: same contract, plain loops (accumulation in the element type), serial. */
void ck_gemm_naive_f32(int trans_a, int trans_b, ck_index M, ck_index N, ck_index K, float alpha,
                       const float *A, ck_index lda, const float *B, ck_index ldb, float beta, float *C,
                       ck_index ldc);
void ck_gemm_naive_f64(int trans_a, int trans_b, ck_index M, ck_index N, ck_index K, double alpha,
                       const double *A, ck_index lda, const double *B, ck_index ldb, double beta,
                       double *C, ck_index ldc);

/* Few columns: C[M][N] (+)= op(A) @ B with cnnkern's own serial SIMD kernels (contract and when the
 * adapter uses them: csrc/gemm/gemm_small_n.h). 1 when done, 0 when declined (see gemm_small_n.c). */
int ck_gemm_small_n_f32(int trans_a, ck_index M, ck_index N, ck_index K, const float *A, ck_index lda,
                        const float *B, ck_index ldb, int accumulate, float *C, ck_index ldc);
int ck_gemm_small_n_f64(int trans_a, ck_index M, ck_index N, ck_index K, const double *A, ck_index lda,
                        const double *B, ck_index ldb, int accumulate, double *C, ck_index ldc);
/* Many columns far apart in memory, a small A: the same kernels over panels of B copied contiguous
 * (contract and when the adapter uses them: csrc/gemm/gemm_small_n.h). 1 when done, 0 when declined. */
int ck_gemm_panels_f32(int trans_a, ck_index M, ck_index N, ck_index K, const float *A, ck_index lda,
                       const float *B, ck_index ldb, int accumulate, float *C, ck_index ldc);
int ck_gemm_panels_f64(int trans_a, ck_index M, ck_index N, ck_index K, const double *A, ck_index lda,
                       const double *B, ck_index ldb, int accumulate, double *C, ck_index ldc);

/* ---- complex GEMM (algorithm "fft": the per-frequency channel mixing) ----
 * Complex matrices are interleaved (re, im) pairs of REAL, row-major, leading dimensions in complex
 * elements. op codes: CK_OP_N (A), CK_OP_T (A^T), CK_OP_C (A^H, conjugate transpose).
 *     C[M][N] = op(A) @ op(B) + (accumulate ? C : 0)        (alpha = 1)
 * Goes to the installed cgemm/zgemm (scipy.linalg.cython_blas, same Fortran ABI as sgemm with complex
 * alpha/beta passed by pointer) or, before installation / under ck_gemm_use_naive(1), to the naive loops
 * ck_cgemm_naive_{f32,f64} (serial, accumulation in the element type). Threads: as the real GEMMs. */
enum { CK_OP_N = 0, CK_OP_T = 1, CK_OP_C = 2 };
typedef void (*ck_cgemm_fortran_fn)(const char *transa, const char *transb, const int *m, const int *n,
                                    const int *k, const void *alpha, const void *a, const int *lda,
                                    const void *b, const int *ldb, const void *beta, void *c,
                                    const int *ldc);
/* Install cgemm (complex float) and zgemm (complex double); either may be NULL. Call once. */
void ck_gemm_install_complex(ck_cgemm_fortran_fn cgemm, ck_cgemm_fortran_fn zgemm);
/* 1 if complex GEMMs of this component size (4: complex64, 8: complex128) go to an installed BLAS. */
int ck_gemm_has_complex_blas(int dtype_size);
void ck_cgemm_f32(int op_a, int op_b, ck_index M, ck_index N, ck_index K, const float *A, ck_index lda,
                  const float *B, ck_index ldb, int accumulate, float *C, ck_index ldc);
void ck_cgemm_f64(int op_a, int op_b, ck_index M, ck_index N, ck_index K, const double *A, ck_index lda,
                  const double *B, ck_index ldb, int accumulate, double *C, ck_index ldc);
void ck_cgemm_naive_f32(int op_a, int op_b, ck_index M, ck_index N, ck_index K, const float *A, ck_index lda,
                        const float *B, ck_index ldb, int accumulate, float *C, ck_index ldc);
void ck_cgemm_naive_f64(int op_a, int op_b, ck_index M, ck_index N, ck_index K, const double *A, ck_index lda,
                        const double *B, ck_index ldb, int accumulate, double *C, ck_index ldc);

#ifdef __cplusplus
}
#endif
#endif /* CK_GEMM_H */
