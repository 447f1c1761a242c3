/*
 * gemm_adapter.c -- the GEMM adapter: row-major GEMM wrappers over an installed Fortran-ABI BLAS, and
 * the naive GEMM used before installation and by tests. Declarations: cnnkern/ck_gemm.h.
 *
 *
 * cnnkern never links a BLAS at build time. At import, Python (cnnkern/_blas.py) hands the C code the
 * Fortran-ABI sgemm/dgemm of an optimised BLAS (the OpenBLAS inside SciPy, taken from the PyCapsules
 * of scipy.linalg.cython_blas) through ck_gemm_install(). Until then, or when a test selects it with
 * ck_gemm_use_naive(1), the plain loops ck_gemm_naive_{f32,f64} are used.
 *
 * Calling convention of the installed functions (reference BLAS, LP64): every argument by pointer,
 * column-major storage, 32-bit int sizes:
 *     sgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
 *
 * The wrappers ck_gemm_{f32,f64} below are ROW-major (what cnnkern's tensors are):
 *     C[M][N] (leading dimension ldc) = alpha * op(A) @ op(B) + beta * C
 *     op(A) is M x K: A is stored [M][K] (lda >= K) when trans_a == 0, [K][M] (lda >= M) when 1;
 *     op(B) is K x N: B is stored [K][N] (ldb >= N) when trans_b == 0, [N][K] (ldb >= K) when 1.
 *     beta == 0 overwrites C (NaNs in C are not propagated); K == 0 gives beta * C.
 * They call the column-major BLAS as C^T = op(B)^T op(A)^T, i.e. gemm(tb, ta, N, M, K, B, A),
 * and split N into chunks when it exceeds the 32-bit int range. M, K and the leading dimensions must
 * fit in an int (the caller checks with ck_gemm_fits()).
 *
 * Threads: an OpenBLAS keeps one process-wide thread count. The im2col operators run their own OpenMP
 * loops and call these wrappers from inside them, so around such a loop they pin the BLAS to one thread
 * with ck_gemm_pin_begin(1)/ck_gemm_pin_end() (reference-counted under a mutex: the first concurrent
 * caller saves the count and sets it, the last one restores it), so the two threading layers never
 * nest; when their loops are serial they set the BLAS to the call's num_threads the same way.
 * Python installs the BLAS's set/get-thread-count functions with ck_gemm_install_threads(); without
 * them ck_gemm_can_pin() is 0 and the operators keep their loops serial (the BLAS threads instead).
 * Few columns (gemm_small_n.h): a GEMM with op(B) = B, alpha 1, beta 0 or 1, N <= CK_GEMM_SMALL_N_MAX
 * and M, K not tiny, called while the BLAS is pinned to one thread (the caller's loops are parallel),
 * runs cnnkern's own serial kernels: a BLAS packs all of A for those few columns. Elsewhere (the BLAS
 * threading, a BLAS that cannot be pinned, ck_gemm_use_naive) nothing changes. Likewise a GEMM with
 * many columns whose B rows lie far apart and a small A (im2col's forward and input gradient:
 * gemm_small_n.h's "panels")
 * runs those kernels over contiguous copies of B's columns. ck_gemm_use_small_n(0) turns both off.
 * Concurrent calls from several Python threads are safe: the installed pointers are written once at
 * import, and OpenBLAS's gemm is thread-safe.
 */
#define _POSIX_C_SOURCE 200809L /* pthread mutex under -std=c11 */
#include "cnnkern/ck_gemm.h"
#include "gemm_small_n.h"

#include <assert.h>
#include <pthread.h>

/* Written at import (ck_gemm_install) and by tests (ck_gemm_use_naive); read by every GEMM. */
static ck_sgemm_fortran_fn installed_sgemm = NULL;
static ck_dgemm_fortran_fn installed_dgemm = NULL;
static volatile int force_naive = 0;

void ck_gemm_install(ck_sgemm_fortran_fn sgemm, ck_dgemm_fortran_fn dgemm)
{
    installed_sgemm = sgemm;
    installed_dgemm = dgemm;
}

void ck_gemm_use_naive(int on) { force_naive = on ? 1 : 0; }

static volatile int small_n_enabled = 1;
void ck_gemm_use_small_n(int on) { small_n_enabled = on ? 1 : 0; }

int ck_gemm_has_blas(int dtype_size)
{
    if (force_naive)
        return 0;
    return dtype_size == 4 ? installed_sgemm != NULL : installed_dgemm != NULL;
}

static ck_blas_set_threads_fn blas_set_threads = NULL;
static ck_blas_get_threads_fn blas_get_threads = NULL;
static pthread_mutex_t pin_mutex = PTHREAD_MUTEX_INITIALIZER;
static int pin_count = 0;   /* calls currently inside a pinned region */
static int pin_saved = 0;   /* the BLAS thread count before the first of them */
static int pin_value = 1;   /* the count the first of them set */

void ck_gemm_install_threads(ck_blas_set_threads_fn set_threads, ck_blas_get_threads_fn get_threads)
{
    pthread_mutex_lock(&pin_mutex);
    blas_set_threads = set_threads && get_threads ? set_threads : NULL;
    blas_get_threads = set_threads && get_threads ? get_threads : NULL;
    pthread_mutex_unlock(&pin_mutex);
}

int ck_gemm_can_pin(int dtype_size) { return !ck_gemm_has_blas(dtype_size) || blas_set_threads != NULL; }

void ck_gemm_pin_begin(int num_threads)
{
    pthread_mutex_lock(&pin_mutex);
    if (blas_set_threads != NULL && pin_count++ == 0) {
        pin_saved = blas_get_threads();
        pin_value = num_threads;
        if (pin_saved != num_threads)
            blas_set_threads(num_threads);
    }
    pthread_mutex_unlock(&pin_mutex);
}

void ck_gemm_pin_end(void)
{
    pthread_mutex_lock(&pin_mutex);
    if (blas_set_threads != NULL && pin_count > 0 && --pin_count == 0 && pin_saved != pin_value)
        blas_set_threads(pin_saved);
    pthread_mutex_unlock(&pin_mutex);
}

/* 1 while every caller in a pinned region asked for a one-thread BLAS (their own loops are parallel):
 * only then does a small-N GEMM go to gemm_small_n.h's serial kernels instead of a BLAS that would
 * thread it. */
static int blas_pinned_to_one(void)
{
    pthread_mutex_lock(&pin_mutex);
    const int one = blas_set_threads != NULL && pin_count > 0 && pin_value == 1;
    pthread_mutex_unlock(&pin_mutex);
    return one;
}

/* Largest N handed to the BLAS in one call (its sizes are 32-bit ints). */
#define CK_GEMM_MAX_N ((ck_index)1 << 30)

#define REAL float
#define GEMM_FORTRAN_FN ck_sgemm_fortran_fn
#define GEMM_INSTALLED installed_sgemm
#define GEMM_ROWMAJOR ck_gemm_f32
#define GEMM_NAIVE ck_gemm_naive_f32
#define GEMM_SMALL_N ck_gemm_small_n_f32
#define GEMM_PANELS ck_gemm_panels_f32
#include "gemm_adapter_template.h"
#undef REAL
#undef GEMM_FORTRAN_FN
#undef GEMM_INSTALLED
#undef GEMM_ROWMAJOR
#undef GEMM_NAIVE
#undef GEMM_SMALL_N
#undef GEMM_PANELS

#define REAL double
#define GEMM_FORTRAN_FN ck_dgemm_fortran_fn
#define GEMM_INSTALLED installed_dgemm
#define GEMM_ROWMAJOR ck_gemm_f64
#define GEMM_NAIVE ck_gemm_naive_f64
#define GEMM_SMALL_N ck_gemm_small_n_f64
#define GEMM_PANELS ck_gemm_panels_f64
#include "gemm_adapter_template.h"
#undef REAL
#undef GEMM_FORTRAN_FN
#undef GEMM_INSTALLED
#undef GEMM_ROWMAJOR
#undef GEMM_NAIVE
#undef GEMM_SMALL_N
#undef GEMM_PANELS

/* ---- complex GEMM (contract above); written at import, read by every call ---- */
static ck_cgemm_fortran_fn installed_cgemm = NULL;
static ck_cgemm_fortran_fn installed_zgemm = NULL;

void ck_gemm_install_complex(ck_cgemm_fortran_fn cgemm, ck_cgemm_fortran_fn zgemm)
{
    installed_cgemm = cgemm;
    installed_zgemm = zgemm;
}

int ck_gemm_has_complex_blas(int dtype_size)
{
    if (force_naive)
        return 0;
    return dtype_size == 4 ? installed_cgemm != NULL : installed_zgemm != NULL;
}

#define REAL float
#define CGEMM_INSTALLED installed_cgemm
#define CGEMM_ROWMAJOR ck_cgemm_f32
#define CGEMM_NAIVE ck_cgemm_naive_f32
#include "gemm_adapter_complex_template.h"
#undef REAL
#undef CGEMM_INSTALLED
#undef CGEMM_ROWMAJOR
#undef CGEMM_NAIVE

#define REAL double
#define CGEMM_INSTALLED installed_zgemm
#define CGEMM_ROWMAJOR ck_cgemm_f64
#define CGEMM_NAIVE ck_cgemm_naive_f64
#include "gemm_adapter_complex_template.h"
#undef REAL
#undef CGEMM_INSTALLED
#undef CGEMM_ROWMAJOR
#undef CGEMM_NAIVE
