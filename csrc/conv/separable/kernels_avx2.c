/*
 * kernels_avx2.c -- AVX2+FMA tap-sum kernels of the separable convolution (contract:
 * separable_kernels.h), from kernels_simd_template.h.
 *
 *   ck_sep_tapsum__avx2_f32         blocks of HB = 8 x 8 floats, then 2 vectors, 1 vector, a masked tail
 *   ck_sep_tapsum__avx2_f64         blocks of 8 x 4 doubles, then the same
 *   ck_sep_tapsum_rows__avx2_*      RR = 4 output rows x VV = 3 vectors (12 ymm sums; VV = 2 measured
 *                                   1.2x slower), then 4 x 1 vector, then a masked tail
 *   ck_sep_tapsum_shift__avx2_*     tapsum over pointers src + t (built on the stack, 64 at a time)
 *
 * Eight independent accumulators per block hide the FMA latency (4 cycles, 2 per cycle on the
 * development machine); every element, in any path, is one FMA chain over the taps in order, so the
 * tail rounds exactly as the blocks do. Compiled with the target of cnnkern/ck_simd_avx2.h only; the
 * operator calls these only when ck_cpu_isa() == CK_ISA_AVX2 (AVX-512 CPUs use kernels_avx512.c).
 * No workspace, no threads.
 */
#include "separable_kernels.h"

#if CK_SIMD_X86

#include "cnnkern/ck_simd_avx2.h"

/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define TAPSUM ck_sep_tapsum__avx2_f32
#define TAPSUM_ROWS ck_sep_tapsum_rows__avx2_f32
#define TAPSUM_SHIFT ck_sep_tapsum_shift__avx2_f32
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__avx2_f32
#define HB 8
#define RR 4
#define VV 3
#include "kernels_simd_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define TAPSUM ck_sep_tapsum__avx2_f64
#define TAPSUM_ROWS ck_sep_tapsum_rows__avx2_f64
#define TAPSUM_SHIFT ck_sep_tapsum_shift__avx2_f64
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__avx2_f64
#define HB 8
#define RR 4
#define VV 3
#include "kernels_simd_template.h"

#endif /* CK_SIMD_X86 */
