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
 * tail rounds exactly as the blocks do. Compiled with __attribute__((target("avx2,fma"))) only; the
 * operator calls these only when ck_cpu_isa() == CK_ISA_AVX2 (AVX-512 CPUs use kernels_avx512.c).
 * No workspace, no threads.
 */
#include "separable_kernels.h"

#if CK_SEPARABLE_X86
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx2,fma")))

/* ---- float32 ---- */
#define REAL float
#define VT __m256
#define VI __m256i
#define LANES 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VMASKLOAD(p, m) _mm256_maskload_ps((p), (m))
#define VMASKSTORE(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VMASK(r) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(r)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define TAPSUM ck_sep_tapsum__avx2_f32
#define TAPSUM_ROWS ck_sep_tapsum_rows__avx2_f32
#define TAPSUM_SHIFT ck_sep_tapsum_shift__avx2_f32
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__avx2_f32
#define HB 8
#define RR 4
#define VV 3
#include "kernels_simd_template.h"

/* ---- float64 ---- */
#define REAL double
#define VT __m256d
#define VI __m256i
#define LANES 4
#define VZERO() _mm256_setzero_pd()
#define VLOAD(p) _mm256_loadu_pd(p)
#define VSTORE(p, v) _mm256_storeu_pd((p), (v))
#define VMASKLOAD(p, m) _mm256_maskload_pd((p), (m))
#define VMASKSTORE(p, m, v) _mm256_maskstore_pd((p), (m), (v))
#define VBCAST(p) _mm256_broadcast_sd(p)
#define VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define VMASK(r) _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(r)), _mm256_setr_epi64x(0, 1, 2, 3))
#define TAPSUM ck_sep_tapsum__avx2_f64
#define TAPSUM_ROWS ck_sep_tapsum_rows__avx2_f64
#define TAPSUM_SHIFT ck_sep_tapsum_shift__avx2_f64
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__avx2_f64
#define HB 8
#define RR 4
#define VV 3
#include "kernels_simd_template.h"

#endif /* CK_SEPARABLE_X86 */
