/*
 * gemm_small_n.c -- dispatch of the small-N GEMM (contract: gemm_small_n.h): the AVX-512 kernel when
 * ck_cpu_isa() (capped by CNNKERN_ISA) allows it, else decline. An AVX2 version of the same tile (4 x 3
 * ymm: 16 registers) was slower than OpenBLAS on Zen 4 (r50_3x3_7 at batch 1, forward 2.75 against
 * 2.37 ms; cb_l4_k7 2.03 against 1.55 ms), so AVX2 CPUs keep the BLAS.
 */
#include "gemm_small_n.h"
#include "cnnkern/ck_simd_x86.h"

#if CK_SIMD_X86
#define SMALL_N_DISPATCH(NAME, REALT, SUFFIX)                                                            \
    int NAME(int trans_a, ck_index M, ck_index N, ck_index K, const REALT *A, ck_index lda, const REALT *B, \
             ck_index ldb, int accumulate, REALT *C, ck_index ldc)                                       \
    {                                                                                                    \
        const ck_isa isa = ck_cpu_isa();                                                                 \
        if (isa < CK_ISA_AVX512)                                                                         \
            return 0;                                                                                    \
        ck_gemm_small_n__avx512_##SUFFIX(trans_a, M, N, K, A, lda, B, ldb, accumulate, C, ldc);          \
        return 1;                                                                                        \
    }

#else /* no SIMD kernels in this build: always decline */
#define SMALL_N_DISPATCH(NAME, REALT, SUFFIX)                                                            \
    int NAME(int trans_a, ck_index M, ck_index N, ck_index K, const REALT *A, ck_index lda, const REALT *B, \
             ck_index ldb, int accumulate, REALT *C, ck_index ldc)                                       \
    {                                                                                                    \
        (void)trans_a, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B, (void)ldb;               \
        (void)accumulate, (void)C, (void)ldc;                                                            \
        return 0;                                                                                        \
    }
#endif

SMALL_N_DISPATCH(ck_gemm_small_n_f32, float, f32)
SMALL_N_DISPATCH(ck_gemm_small_n_f64, double, f64)
