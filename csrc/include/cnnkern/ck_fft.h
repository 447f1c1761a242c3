/*
 * ck_fft.h -- the transform layer of algorithm "fft" (csrc/fft/): batched mixed-radix FFTs written for
 * cnnkern (no FFT library), sizes 2^a 3^b 5^c.
 *
 * Layout: a batch of B images of shape n[0] x n[1] x n[2] (n[2] even; 1-D and 2-D problems have
 * n[0] = n[1] = 1 or n[0] = 1):
 *   real  r[B][n0][n1][n2]
 *   spec  s[B][n0][n1][n2/2 + 1][2]     (interleaved complex: re, im)
 * ck_fft_forward_*: spec = DFT(r) over the three axes (unnormalised, e^{-2 pi i j k / n}).
 *   nonzero (may be NULL): r is known to be zero outside [0, nonzero[0]) x [0, nonzero[1]) on axes 0
 *   and 1 (a zero-padded kernel or output tile): the real-axis transforms of the zero lines are skipped.
 * ck_fft_inverse_*: r = n0*n1*n2 * IDFT(spec) (unnormalised: the inverse of forward times n0*n1*n2);
 *   spec is destroyed (used as scratch). For the result to be real the spectrum must be Hermitian.
 * How: the real axis is a complex FFT of half length plus a twiddle pass; every axis is transformed
 * CK_FFT_LANES lines at a time, copied into a [length][lanes] split re/im buffer so that every
 * butterfly is a loop over lanes (each SIMD lane a different line; GCC vector types of the instruction
 * set chosen at run time, fft_template.h). Stockham auto-sort, radices 8 (lines of >= 512), 4, 2, 3, 5,
 * twiddles precomputed in the plan.
 *
 * Plans are immutable after ck_fft_plan_create and may be shared by any number of threads. Each call
 * needs a caller-provided scratch of ck_fft_scratch_elems(plan) REALs (per thread).
 */
#ifndef CK_FFT_H
#define CK_FFT_H

#include "cnnkern/ck_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CK_FFT_MAX_STAGES 64

/* One complex transform length (Stockham stages and their twiddles, in both precisions). */
typedef struct ck_fft_1d {
    ck_index n;
    int nstages;
    int radix[CK_FFT_MAX_STAGES];
    ck_index tw_offset[CK_FFT_MAX_STAGES]; /* complex offset of stage s's table: Ns * (radix - 1) entries */
    double *tw64;                          /* [.][2] e^{-2 pi i k r / (Ns radix)}, k < Ns, 1 <= r < radix */
    float *tw32;
} ck_fft_1d;

typedef struct ck_fft_plan {
    ck_index n[3];        /* transform sizes; n[2] is the real axis and is even */
    ck_index nh;          /* n[2] / 2 + 1 */
    ck_fft_1d axis[2];    /* complex transforms along axes 0 and 1 */
    ck_fft_1d half;       /* complex transform of length n[2] / 2 (the real axis) */
    double *post64;       /* [n2/2 + 1][2] e^{-2 pi i k / n2} */
    float *post32;
} ck_fft_plan;

/* Smallest m >= n with m = 2^a 3^b 5^c (and m even when `even`). */
ck_index ck_fft_good_size(ck_index n, int even);
/* 1 if n is 2^a 3^b 5^c (n >= 1). */
int ck_fft_is_good_size(ck_index n);

/* NULL on allocation failure or a size that is not 2^a 3^b 5^c (n[2] must also be even). */
ck_fft_plan *ck_fft_plan_create(const ck_index n[3]);
void ck_fft_plan_destroy(ck_fft_plan *plan);

static inline ck_index ck_fft_real_elems(const ck_fft_plan *p) { return p->n[0] * p->n[1] * p->n[2]; }
static inline ck_index ck_fft_spec_elems(const ck_fft_plan *p) { return p->n[0] * p->n[1] * p->nh; } /* complex */
/* REALs of per-thread scratch a forward or inverse call needs. */
ck_index ck_fft_scratch_elems(const ck_fft_plan *p);

void ck_fft_forward_f32(const ck_fft_plan *p, ck_index batch, const float *r, float *spec, float *scratch,
                        const ck_index *nonzero);
void ck_fft_forward_f64(const ck_fft_plan *p, ck_index batch, const double *r, double *spec, double *scratch,
                        const ck_index *nonzero);
void ck_fft_inverse_f32(const ck_fft_plan *p, ck_index batch, float *spec, float *r, float *scratch);
void ck_fft_inverse_f64(const ck_fft_plan *p, ck_index batch, double *spec, double *r, double *scratch);

/* Lane-interleaved form: CK_FFT_LANES_F32 (16) / CK_FFT_LANES_F64 (8) images at once, image l in lane l:
 *   r [n0][n1][n2][LANES] real,  sr, si [n0][n1][n2/2+1][LANES] (split re / im).
 * Same transforms as above; every copy is a contiguous run of LANES values (no transposes), which
 * suits many small images (tiles, kernels). Scratch: ck_fft_scratch_elems. */
#define CK_FFT_LANES_F32 16
#define CK_FFT_LANES_F64 8
void ck_fft_forward_lanes_f32(const ck_fft_plan *p, const float *r, float *sr, float *si, float *scratch,
                              const ck_index *nonzero);
void ck_fft_forward_lanes_f64(const ck_fft_plan *p, const double *r, double *sr, double *si, double *scratch,
                              const ck_index *nonzero);
void ck_fft_inverse_lanes_f32(const ck_fft_plan *p, float *sr, float *si, float *r, float *scratch);
void ck_fft_inverse_lanes_f64(const ck_fft_plan *p, double *sr, double *si, double *r, double *scratch);

#ifdef __cplusplus
}
#endif
#endif /* CK_FFT_H */
