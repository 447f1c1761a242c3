/*
 * gemm_small_n.h -- row-major GEMMs with few columns: the contract of ck_gemm_small_n_{f32,f64}
 * (cnnkern/ck_gemm.h; the adapter ck_gemm_f32/f64 of gemm_adapter.c sends such GEMMs there) and the
 * ISA kernels behind them.
 *
 * Contract:  C[M][N] = op(A) @ B            (accumulate 0: C overwritten)
 *            C[M][N] = C + op(A) @ B        (accumulate 1)
 *   op(A)[m][k] = A[m*lda + k] (trans_a 0) or A[k*lda + m] (trans_a 1); B is [K][N] with row stride
 *   ldb; C has row stride ldc. Serial: the callers (im2col's and winograd's work items) already run
 *   in parallel.
 *   Every C element is one chain of fused multiply-adds over k in order, from zero (then added to C
 *   when accumulating), so its bits do not depend on M, N or where the caller splits the columns (im2col
 *   splits an image's pixels across workers by their count).
 *
 * Why: with few columns (a 7x7 feature map at batch 1: 49) a BLAS packs the whole of A for little
 * work: OpenBLAS ran r50_3x3_7's forward GEMM (512 x 49 x 4608) at 75 GFLOP/s on one Zen 4 core.
 * Here B's rows are read in place (3 vectors at a time, the last one masked), op(A)'s elements are
 * broadcast, and an MR x 3-vector register tile accumulates over all of K: about 113 GFLOP/s on that
 * core (its FMA peak is about 118). Up to 4 columns past the last full vector (N = 49: one) are
 * computed with the rows in the lanes instead of in a mostly masked vector: 512 x 49 x 4608 ran at
 * 87 GFLOP/s with the masked vector, 106 with that tail (its transposed-A form 78 -> 97; one core, best
 * of 20, one run per build); im2col on r50_3x3_7 at batch 1, 2 threads: forward 1.55 -> 1.36 ms, input
 * gradient 1.67 -> 1.38 ms. In im2col at batch 1 (2 threads, interleaved on/off with
 * ck_gemm_use_small_n): r50_3x3_7 forward 1.08-1.13x and input gradient 1.18-1.33x faster, r50_1x1_14
 * 1.05-1.07x and 1.21-1.25x, cb_l4_k7's forward 1.09-1.16x; the batch-8 layers whose GEMMs qualify
 * (r50_1x1_14, r50_1x1s2_28: N = 196) within the +-5% noise. Up to N = 1024 it still won at batch 1,
 * but alex_conv2's batch-8 input gradient (N = 729) lost 8% once, hence the cap.
 *
 * Returns 1 when done, 0 when it declines (no AVX2; or AVX2 only and trans_a, or B over
 * CK_GEMM_SMALL_N_AVX2_MAX_B_BYTES: see gemm_small_n.c): the caller then runs its BLAS. Both ISA
 * kernels give the same bits (one FMA chain per element in both).
 * Thread-safe (no state, no allocation).
 */
#ifndef CK_GEMM_SMALL_N_H
#define CK_GEMM_SMALL_N_H

#include "cnnkern/ck_gemm.h"

/* Widest N sent here, the largest B (K x N elements, in bytes: it is streamed once per 8 rows of C, so it
 * should stay in L2), and the smallest K (below it the BLAS's own overhead is small). */
#define CK_GEMM_SMALL_N_MAX 256
#define CK_GEMM_SMALL_N_MAX_B_BYTES ((size_t)2 << 20)
/* AVX2 (4 rows of C per pass over B): B within a 512 KiB L2 with room for A and C */
#define CK_GEMM_SMALL_N_AVX2_MAX_B_BYTES ((size_t)256 << 10)
#define CK_GEMM_SMALL_N_MIN_K 16
/* The smallest M the adapter sends here: 8 where the AVX-512 kernel runs (fewer rows were left to the
 * BLAS when it was written; not measured since), any on AVX2-only CPUs, where OpenBLAS's Haswell
 * kernels ran GEMMs of M < 8 rows 1.5-3.3x slower (Zen 2: im2col forwards with 1-4 output channels;
 * winograd on r50_3x3_7 at batch 1, 4 tiles per GEMM, forward 2.0x and input gradient 2.3x). */
static inline ck_index ck_gemm_small_n_min_m(void) { return ck_cpu_isa() >= CK_ISA_AVX512 ? 8 : 1; }

/* Panels: C[M][N] (+)= op(A) @ B with many columns, B's rows far apart and A small: B is copied
 * CK_GEMM_PANEL_COLS columns at a time into a contiguous [K][cols] buffer and each copy runs the small-N
 * kernel above; a transposed A is first copied row-major (so its broadcasts run along rows). Every
 * element is the same FMA chain over k from zero: the bits do not depend on N or on where the caller
 * splits the columns. The AVX2 kernel only (0 elsewhere: the AVX-512 one was not measured in this form),
 * for the adapter's row-major GEMMs with op(B) = B, alpha 1, beta 0 or 1, N > CK_GEMM_SMALL_N_MAX,
 * K >= CK_GEMM_SMALL_N_MIN_K, A at most CK_GEMM_PANELS_MAX_A_BYTES (CK_GEMM_PANELS_MAX_AT_BYTES when
 * transposed), B's rows at least CK_GEMM_PANELS_MIN_LDB elements apart, called while the BLAS is pinned
 * to one thread: im2col's forward GEMMs (the weights @ an image's column matrix, or, 1x1, the image
 * itself, whose rows are whole planes apart) and input-gradient GEMMs (w^T @ rows of dy, a plane
 * apart). Winograd's B (3x3 layers' [C][K] weights, K <= 512) stays with the BLAS: not measured in this
 * form. A BLAS packs B there too but ran slower: benchmarks/gemm_panels_ab.py (im2col with these
 * kernels on / off via ck_gemm_use_small_n and a second "off" as control, best of 11, shuffled; Zen 2,
 * OpenBLAS 0.3.31 Haswell kernels, 2 threads; results in benchmarks/results/gemm_panels_ab_zen2_s18_*):
 *   forward         float32 r50_1x1_56 1.24-1.30x at batch 1 (133 -> 166-171 GFLOP/s) and 1.12-1.17x at
 *                   batch 8, 64 -> 256 1x1 at 56x56 1.26-1.32x / 1.10-1.13x, 512 -> 128 1x1 at 28x28
 *                   1.16-1.17x / 1.10-1.16x, r50_3x3_56 1.25-1.26x / 1.21-1.22x, vgg_conv1_2 1.23-1.34x
 *                   at batch 1; float64 (best of 9) r50_1x1_56 1.12x / 1.04x, 64 -> 256 1.06x at batch 8.
 *   input gradient  float32 r50_1x1_56 1.27x / 1.13-1.14x, 64 -> 256 1.19-1.22x / 1.06-1.13x, r50_3x3_56
 *                   1.23-1.26x / 0.99-1.09x, vgg_conv1_2 1.10-1.11x; float64 r50_1x1_56 1.17x / 1.02x,
 *                   64 -> 256 1.01x, r50_3x3_56 1.09x / 1.04x.
 *   (ranges: the default ISA and CNNKERN_ISA=avx2, the same AVX2 code on that CPU; controls 0.97-1.07;
 *   declined shapes 0.96-1.01x.)
 * Not taken: A over 256 KiB (an L2 share): float32 5x5 64 -> 64 (410 KiB) 1.07-1.2x but r50_3x3_28
 * (590 KiB) 1.00x, alex_conv2 (1.2 MiB) 0.85x, float64 512 -> 128 1x1 (512 KiB) 0.89x; a transposed A
 * over 192 KiB: 512 -> 128 1x1's input gradient (256 KiB, 512 rows) 0.92-0.97x, where r50_3x3_56's
 * (147 KiB) won. Copies of 96 columns beat 24, 48 and 192 on most of these.
 * The copies (K x 96 elements, at most CK_GEMM_PANELS_MAX_COPY_BYTES, else 0; and A^T) are allocated
 * per call; 0 when that fails (the BLAS runs instead). */
#define CK_GEMM_PANEL_COLS 96
#define CK_GEMM_PANELS_MAX_A_BYTES ((size_t)256 << 10)
#define CK_GEMM_PANELS_MAX_AT_BYTES ((size_t)192 << 10)
#define CK_GEMM_PANELS_MIN_LDB 768
#define CK_GEMM_PANELS_MAX_COPY_BYTES ((size_t)1 << 20)

/* The entry points ck_gemm_small_n_{f32,f64} and ck_gemm_panels_{f32,f64} are declared in
 * cnnkern/ck_gemm.h (tests call them too). */

/* The ISA kernels (gemm_small_n_avx512.c, gemm_small_n_avx2.c), same contract. */
#define CK_GEMM_SMALL_N_DECLARE(isa)                                                                       \
    void ck_gemm_small_n__##isa##_f32(int trans_a, ck_index M, ck_index N, ck_index K, const float *A,     \
                                      ck_index lda, const float *B, ck_index ldb, int accumulate, float *C, \
                                      ck_index ldc);                                                       \
    void ck_gemm_small_n__##isa##_f64(int trans_a, ck_index M, ck_index N, ck_index K, const double *A,    \
                                      ck_index lda, const double *B, ck_index ldb, int accumulate,         \
                                      double *C, ck_index ldc);
CK_GEMM_SMALL_N_DECLARE(avx512)
CK_GEMM_SMALL_N_DECLARE(avx2)
#undef CK_GEMM_SMALL_N_DECLARE

#endif /* CK_GEMM_SMALL_N_H */
