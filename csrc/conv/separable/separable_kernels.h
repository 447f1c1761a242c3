/*
 * separable_kernels.h -- the one microkernel of the separable convolution, listed once (internal header).
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
 * A 1-D correlation along the contiguous axis is a tap sum over shifted pointers into one (phase-
 * decomposed, zero-padded) row; a pass along an outer axis is a tap sum over row pointers. The
 * AVX2 kernel keeps 8 vectors of accumulators in registers over the whole tap loop (one load and one
 * FMA per 8 or 4 multiply-adds), the portable kernel 16 scalars that the compiler vectorises.
 */
#ifndef CK_SEPARABLE_KERNELS_H
#define CK_SEPARABLE_KERNELS_H

#include "cnnkern/ck_common.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define CK_SEPARABLE_X86 1
#else
#define CK_SEPARABLE_X86 0
#endif

typedef void (*ck_sep_tapsum_f32_fn)(ck_index n, ck_index ntap, const float *const *src, const float *coef,
                                     float *out, int accumulate);
typedef void (*ck_sep_tapsum_f64_fn)(ck_index n, ck_index ntap, const double *const *src, const double *coef,
                                     double *out, int accumulate);

void ck_sep_tapsum__generic_f32(ck_index n, ck_index ntap, const float *const *src, const float *coef,
                                float *out, int accumulate);
void ck_sep_tapsum__generic_f64(ck_index n, ck_index ntap, const double *const *src, const double *coef,
                                double *out, int accumulate);
#if CK_SEPARABLE_X86
void ck_sep_tapsum__avx2_f32(ck_index n, ck_index ntap, const float *const *src, const float *coef,
                             float *out, int accumulate);
void ck_sep_tapsum__avx2_f64(ck_index n, ck_index ntap, const double *const *src, const double *coef,
                             double *out, int accumulate);
#endif

/* The best kernel the CPU supports (ck_cpu_isa(); AVX-512 machines use the AVX2 kernel). */
static inline ck_sep_tapsum_f32_fn ck_sep_select_tapsum_f32(void)
{
#if CK_SEPARABLE_X86
    if (ck_cpu_isa() >= CK_ISA_AVX2)
        return ck_sep_tapsum__avx2_f32;
#endif
    return ck_sep_tapsum__generic_f32;
}

static inline ck_sep_tapsum_f64_fn ck_sep_select_tapsum_f64(void)
{
#if CK_SEPARABLE_X86
    if (ck_cpu_isa() >= CK_ISA_AVX2)
        return ck_sep_tapsum__avx2_f64;
#endif
    return ck_sep_tapsum__generic_f64;
}

#endif /* CK_SEPARABLE_KERNELS_H */
