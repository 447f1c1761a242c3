/*
 * gemm_small_n.c -- dispatch of the small-N GEMM (contract: gemm_small_n.h): the AVX-512 kernel when
 * ck_cpu_isa() (capped by CNNKERN_ISA) allows it; else the AVX2 kernel for op(A) = A when B is at
 * most CK_GEMM_SMALL_N_AVX2_MAX_B_BYTES; else decline (the caller runs its BLAS).
 *
 * The AVX2 kernel (4 x 3 ymm accumulators) streams B once per 4 rows of C, so it wins only while B
 * stays in a 512 KiB L2. On a Zen 2 (family 23 model 49, OpenBLAS's Haswell kernels, 2 threads,
 * float32, interleaved in one process against the BLAS): winograd's GEMMs ([tiles x C] @ [C x K],
 * B = U at most 256 KiB or a 16-channel slice of it) forward 1.17-1.90x faster on the r50 3x3 layers,
 * vgg_conv4_2 and alex_conv2, input gradient 1.21-1.80x, float64 forward 1.07-1.31x; im2col's GEMMs
 * (K = 1024-4608, B 0.5-2 MiB) 0.71-0.87x, hence the limit (im2col then keeps the BLAS, within
 * +-3%). The transposed form (op(A) = A^T) stays with the BLAS on AVX2: im2col's input gradient ran
 * 0.57-0.78x with it (also with B under the limit and M <= 512), winograd's weight gradient
 * 1.06-1.24x; no shape rule separated the two. On Zen 4 an AVX2 kernel lost to OpenBLAS's AVX-512
 * kernels on im2col's shapes (r50_3x3_7 at batch 1, forward 2.75 against 2.37 ms).
 */
#include "gemm_small_n.h"
#include "cnnkern/ck_simd_x86.h"

#include <string.h>

/* The one signature of both entry points (cnnkern/ck_gemm.h). */
#define SMALL_N_SIGNATURE(NAME, REALT)                                                                   \
    int NAME(int trans_a, ck_index M, ck_index N, ck_index K, const REALT *A, ck_index lda,             \
             const REALT *B, ck_index ldb, int accumulate, REALT *C, ck_index ldc)

#if CK_SIMD_X86
#define SMALL_N_DISPATCH(NAME, REALT, SUFFIX)                                                            \
    SMALL_N_SIGNATURE(NAME, REALT)                                                                       \
    {                                                                                                    \
        const ck_isa isa = ck_cpu_isa();                                                                 \
        if (isa >= CK_ISA_AVX512)                                                                        \
            ck_gemm_small_n__avx512_##SUFFIX(trans_a, M, N, K, A, lda, B, ldb, accumulate, C, ldc);      \
        else if (isa >= CK_ISA_AVX2 && !trans_a &&                                                       \
                 (size_t)(K * N) * sizeof(REALT) <= CK_GEMM_SMALL_N_AVX2_MAX_B_BYTES)                    \
            ck_gemm_small_n__avx2_##SUFFIX(trans_a, M, N, K, A, lda, B, ldb, accumulate, C, ldc);        \
        else                                                                                             \
            return 0;                                                                                    \
        return 1;                                                                                        \
    }

/* Panels (gemm_small_n.h): the AVX2 kernel over contiguous copies of CK_GEMM_PANEL_COLS columns of B. */
#define PANELS_DISPATCH(NAME, REALT, SUFFIX)                                                             \
    SMALL_N_SIGNATURE(NAME, REALT)                                                                       \
    {                                                                                                    \
        if (ck_cpu_isa() != CK_ISA_AVX2 ||                                                               \
            (size_t)(K * CK_GEMM_PANEL_COLS) * sizeof(REALT) > CK_GEMM_PANELS_MAX_COPY_BYTES)            \
            return 0;                                                                                    \
        REALT *panel = (REALT *)ck_aligned_alloc((size_t)(K * CK_GEMM_PANEL_COLS) * sizeof(REALT));      \
        REALT *at = trans_a ? (REALT *)ck_aligned_alloc((size_t)(M * K) * sizeof(REALT)) : NULL;         \
        if (panel == NULL || (trans_a && at == NULL)) {                                                  \
            ck_aligned_free(panel);                                                                      \
            ck_aligned_free(at);                                                                         \
            return 0;                                                                                    \
        }                                                                                                \
        if (trans_a) { /* op(A) = A^T copied row-major: the kernel's broadcasts then run along rows */  \
            for (ck_index k = 0; k < K; ++k)                                                             \
                for (ck_index m = 0; m < M; ++m)                                                         \
                    at[m * K + k] = A[k * lda + m];                                                      \
            A = at;                                                                                      \
            lda = K;                                                                                     \
        }                                                                                                \
        for (ck_index j0 = 0; j0 < N; j0 += CK_GEMM_PANEL_COLS) {                                        \
            const ck_index nj = N - j0 < CK_GEMM_PANEL_COLS ? N - j0 : CK_GEMM_PANEL_COLS;               \
            for (ck_index k = 0; k < K; ++k)                                                             \
                memcpy(panel + k * nj, B + k * ldb + j0, (size_t)nj * sizeof(REALT));                    \
            ck_gemm_small_n__avx2_##SUFFIX(0, M, nj, K, A, lda, panel, nj, accumulate, C + j0, ldc);     \
        }                                                                                                \
        ck_aligned_free(panel);                                                                          \
        ck_aligned_free(at);                                                                             \
        return 1;                                                                                        \
    }

#else /* no SIMD kernels in this build: both always decline */
#define SMALL_N_DECLINE(NAME, REALT, SUFFIX)                                                             \
    SMALL_N_SIGNATURE(NAME, REALT)                                                                       \
    {                                                                                                    \
        (void)trans_a, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B, (void)ldb;                \
        (void)accumulate, (void)C, (void)ldc;                                                            \
        return 0;                                                                                        \
    }
#define SMALL_N_DISPATCH SMALL_N_DECLINE
#define PANELS_DISPATCH SMALL_N_DECLINE
#endif

SMALL_N_DISPATCH(ck_gemm_small_n_f32, float, f32)
SMALL_N_DISPATCH(ck_gemm_small_n_f64, double, f64)
PANELS_DISPATCH(ck_gemm_panels_f32, float, f32)
PANELS_DISPATCH(ck_gemm_panels_f64, double, f64)
