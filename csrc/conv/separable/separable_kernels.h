/*
 * separable_kernels.h -- the microkernels of the separable convolution, listed once (internal header).
 *
 * "tap sum": a weighted sum of ntap contiguous source vectors, the inner loop of every 1-D pass.
 *
 *      void tapsum(ck_index n, ck_index ntap, const REAL *const src[ntap], const REAL coef[ntap],
 *                  REAL *out, int accumulate);
 *
 *   OUT: out[j] = (accumulate ? out[j] : 0) + coef[0]*src[0][j] + ... + coef[ntap-1]*src[ntap-1][j]
 *        for 0 <= j < n, the terms added in tap order (t = 0 first) to one running sum per element.
 *        ntap == 0 writes zeros (accumulate = 0) or leaves out unchanged (accumulate = 1).
 *   IN:  src[t][0 .. n-1] for every t; no alignment assumed; out must not overlap any src.
 *   Reads exactly the elements named (masked loads in the tail): no padding needed by the caller.
 *   Every element goes through the same chain of multiply-adds whichever code path (full block,
 *   single vector or tail) handles it, so results do not depend on where a row starts or ends.
 *   Accumulation in REAL. No state, no globals, no threads: thread-safe.
 *
 * Two specialisations with the SAME sums (bit-identical to tapsum on the same ISA, every element the
 * same chain in tap order), for speed only:
 *
 *      void tapsum_rows(ck_index n, ck_index nout, ck_index ntap, const REAL *const rows[nout+ntap-1],
 *                       ck_index mlo, ck_index mhi, const REAL coef[ntap], REAL *const out[nout],
 *                       int accumulate);
 *   out[q][j] = (accumulate ? out[q][j] : 0) + sum over t in [0, ntap) with mlo <= q + t < mhi, in
 *   increasing t, of coef[t] * rows[q + t][j], for 0 <= q < nout: nout outputs of a sliding window
 *   over one list of source rows of which only [mlo, mhi) exist and are read (the column pass at
 *   unit stride and dilation; rows outside the input skipped as in the per-row pass). An output with
 *   no tap gets zeros or is left unchanged, as tapsum with ntap = 0.
 *   The SIMD kernels run RR = 4 outputs per block, loading each source row once for all of them
 *   (about 1/RR of tapsum's loads); leftover outputs (nout mod RR) go through tapsum.
 *
 *      void tapsum_shift(ck_index n, ck_index ntap, const REAL *src, const REAL coef[ntap], REAL *out,
 *                        int accumulate);
 *   tapsum with src[t] = src + t (the row pass at unit stride and dilation); reads src[0 .. n+ntap-2].
 *
 *      void tapsum_shift_rows(ck_index n, ck_index nrows, ck_index ntap, const REAL *src, ck_index sstride,
 *                             const REAL coef[ntap], REAL *out, ck_index ostride, int accumulate);
 *   tapsum_shift(n, ntap, src + r*sstride, coef, out + r*ostride, accumulate) for 0 <= r < nrows
 *   (the rows of a 4-row group). AVX-512 runs short rows (n < 2*SV vectors) in pairs: a 64-float
 *   row alone has 4 vectors, i.e. 4 FMA chains, too few to cover the FMA latency.
 *   AVX-512: SV + 1 vector loads per block of SV output vectors and chunk of up to LANES taps, every
 *   shifted vector from a register pair by valign (unaligned 512-bit loads split cache lines and held
 *   tapsum to ~1 FMA per cycle); the other ISAs build the pointer array and call tapsum.
 *
 * A 1-D correlation along the contiguous axis is a tap sum over shifted pointers into one (phase-
 * decomposed, zero-padded) row; a pass along an outer axis is a tap sum over row pointers.
 * tapsum keeps HB vectors of accumulators in registers over the whole tap loop (HB = 8 on AVX2,
 * 12 on AVX-512), the portable kernel 16 scalars that the compiler vectorises.
 * ISA: AVX-512F (kernels_avx512.c) when ck_cpu_isa() >= CK_ISA_AVX512, AVX2+FMA (kernels_avx2.c),
 * else portable (kernels_generic.c); ck_cpu_isa() honours CNNKERN_ISA and the test hook. AVX2 and
 * AVX-512 results are bit-identical (both one rounding per FMA, same chains); generic rounds the
 * product and the sum separately.
 * Measured (tests' machine, Zen 5 2.6 GHz VM, 1 thread, C microbenchmark, 1M outputs x 31 taps with
 * the data in L1/L2): row pass tapsum 0.76 ms f32 / 1.48 f64 (AVX-512) vs tapsum_shift 0.41 / 0.80;
 * column pass tapsum_rows 0.44 / 0.82 (AVX-512), 0.84 / 1.69 (AVX2, RR = 4 x VV = 3 vectors).
 */
#ifndef CK_SEPARABLE_KERNELS_H
#define CK_SEPARABLE_KERNELS_H

#include "cnnkern/ck_common.h"

#include "cnnkern/ck_simd_x86.h" /* CK_SIMD_X86: the avx2 / avx512 kernels are compiled */

typedef void ck_sep_tapsum_f32_fn(ck_index n, ck_index ntap, const float *const *src, const float *coef,
                                     float *out, int accumulate);
typedef void ck_sep_tapsum_f64_fn(ck_index n, ck_index ntap, const double *const *src, const double *coef,
                                     double *out, int accumulate);
typedef void ck_sep_tapsum_shift_f32_fn(ck_index n, ck_index ntap, const float *src, const float *coef,
                                           float *out, int accumulate);
typedef void ck_sep_tapsum_shift_f64_fn(ck_index n, ck_index ntap, const double *src, const double *coef,
                                           double *out, int accumulate);
typedef void ck_sep_tapsum_shift_rows_f32_fn(ck_index n, ck_index nrows, ck_index ntap, const float *src,
                                                ck_index sstride, const float *coef, float *out, ck_index ostride,
                                                int accumulate);
typedef void ck_sep_tapsum_shift_rows_f64_fn(ck_index n, ck_index nrows, ck_index ntap, const double *src,
                                                ck_index sstride, const double *coef, double *out,
                                                ck_index ostride, int accumulate);
typedef void ck_sep_tapsum_rows_f32_fn(ck_index n, ck_index nout, ck_index ntap, const float *const *rows,
                                          ck_index mlo, ck_index mhi, const float *coef, float *const *out,
                                          int accumulate);
typedef void ck_sep_tapsum_rows_f64_fn(ck_index n, ck_index nout, ck_index ntap, const double *const *rows,
                                          ck_index mlo, ck_index mhi, const double *coef, double *const *out,
                                          int accumulate);

/* The list: per ISA (best first), ck_sep_{tapsum,tapsum_rows,tapsum_shift,tapsum_shift_rows}__<isa>_<dtype>
 * (kernels_<isa>.c). */
#define CK_SEP_KERNELS_(X, dt) \
    CK_ISA_KERNELS4(X, dt, ck_sep_tapsum__, ck_sep_tapsum_rows__, ck_sep_tapsum_shift__, ck_sep_tapsum_shift_rows__)
#define CK_SEP_F32_KERNELS(X) CK_SEP_KERNELS_(X, f32)
#define CK_SEP_F64_KERNELS(X) CK_SEP_KERNELS_(X, f64)

#define CK_SEP_DECLARE(isa, T, tapsum, tapsum_rows, tapsum_shift, tapsum_shift_rows)                     \
    ck_sep_tapsum_##T##_fn tapsum;                                                                     \
    ck_sep_tapsum_rows_##T##_fn tapsum_rows;                                                           \
    ck_sep_tapsum_shift_##T##_fn tapsum_shift;                                                         \
    ck_sep_tapsum_shift_rows_##T##_fn tapsum_shift_rows;
#define CK_SEP_ROW(T)                                                                                  \
    struct {                                                                                           \
        ck_isa isa;                                                                                    \
        ck_sep_tapsum_##T##_fn *tapsum;                                                                \
        ck_sep_tapsum_rows_##T##_fn *tapsum_rows;                                                      \
        ck_sep_tapsum_shift_##T##_fn *tapsum_shift;                                                    \
        ck_sep_tapsum_shift_rows_##T##_fn *tapsum_shift_rows;                                          \
    }
#define CK_SEP_TABLE_ENTRY(isa, T, tapsum, tapsum_rows, tapsum_shift, tapsum_shift_rows)                \
    {isa, tapsum, tapsum_rows, tapsum_shift, tapsum_shift_rows},
CK_SEP_F32_KERNELS(CK_SEP_DECLARE)
CK_SEP_F64_KERNELS(CK_SEP_DECLARE)

#endif /* CK_SEPARABLE_KERNELS_H */
