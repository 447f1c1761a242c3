/* fft_kernels.h -- every compiled variant of the transforms, listed once (dispatch: fft_dispatch.c). */
#ifndef CK_FFT_KERNELS_H
#define CK_FFT_KERNELS_H
#include "cnnkern/ck_fft.h"

/* Scratch layout of every transform call (ck_fft_scratch_elems): four buffers ar, ai, br, bi of
 * ck_fft__main_buf(p) REALs ([m][lanes] ping-pong, split re/im), each padded so that no two start at the
 * same address modulo 4 KiB when m is a multiple of 32 (1152, 96): a precaution against 4K aliasing
 * between the streams of a stage (no change measurable within the noise of the shared machine). */
#define CK_FFT_SCRATCH_LANES 16 /* the largest lane count of the kernels (float) */
#define CK_FFT_SCRATCH_PAD 40

static inline ck_index ck_fft__main_buf(const ck_fft_plan *p)
{
    ck_index m = p->n[0];
    if (p->n[1] > m) m = p->n[1];
    if (p->nh > m) m = p->nh;
    return m * CK_FFT_SCRATCH_LANES + CK_FFT_SCRATCH_PAD;
}


/* The list: per ISA (best first), ck_fft_{forward,inverse,forward_lanes,inverse_lanes}__<isa>_<dtype>
 * (fft_<dtype>_<isa>.c). */
#include "cnnkern/ck_simd_x86.h"
#define CK_FFT_KERNELS_(X, dt) \
    CK_ISA_KERNELS4(X, dt, ck_fft_forward__, ck_fft_inverse__, ck_fft_forward_lanes__, ck_fft_inverse_lanes__)
#define CK_FFT_F32_KERNELS(X) CK_FFT_KERNELS_(X, f32)
#define CK_FFT_F64_KERNELS(X) CK_FFT_KERNELS_(X, f64)

#define CK_FFT_REAL_f32 float
#define CK_FFT_REAL_f64 double
#define CK_FFT_ROW(T)                                                                                       \
    struct {                                                                                                \
        ck_isa isa;                                                                                         \
        void (*forward)(const ck_fft_plan *, ck_index, const CK_FFT_REAL_##T *, CK_FFT_REAL_##T *,          \
                        CK_FFT_REAL_##T *, const ck_index *);                                               \
        void (*inverse)(const ck_fft_plan *, ck_index, CK_FFT_REAL_##T *, CK_FFT_REAL_##T *,                \
                        CK_FFT_REAL_##T *);                                                                 \
        void (*forward_lanes)(const ck_fft_plan *, const CK_FFT_REAL_##T *, CK_FFT_REAL_##T *,              \
                              CK_FFT_REAL_##T *, CK_FFT_REAL_##T *, const ck_index *);                      \
        void (*inverse_lanes)(const ck_fft_plan *, CK_FFT_REAL_##T *, CK_FFT_REAL_##T *,                    \
                              CK_FFT_REAL_##T *, CK_FFT_REAL_##T *);                                        \
    }
#define CK_FFT_DECLARE(isa, T, fwd, inv, fwd_lanes, inv_lanes)                                              \
    void fwd(const ck_fft_plan *p, ck_index batch, const CK_FFT_REAL_##T *r, CK_FFT_REAL_##T *spec,         \
             CK_FFT_REAL_##T *scratch, const ck_index *nonzero);                                            \
    void inv(const ck_fft_plan *p, ck_index batch, CK_FFT_REAL_##T *spec, CK_FFT_REAL_##T *r,               \
             CK_FFT_REAL_##T *scratch);                                                                     \
    void fwd_lanes(const ck_fft_plan *p, const CK_FFT_REAL_##T *r, CK_FFT_REAL_##T *sr, CK_FFT_REAL_##T *si, \
                   CK_FFT_REAL_##T *scratch, const ck_index *nonzero);                                      \
    void inv_lanes(const ck_fft_plan *p, CK_FFT_REAL_##T *sr, CK_FFT_REAL_##T *si, CK_FFT_REAL_##T *r,      \
                   CK_FFT_REAL_##T *scratch);
#define CK_FFT_TABLE_ENTRY(isa, T, fwd, inv, fwd_lanes, inv_lanes) {isa, fwd, inv, fwd_lanes, inv_lanes},
CK_FFT_F32_KERNELS(CK_FFT_DECLARE)
CK_FFT_F64_KERNELS(CK_FFT_DECLARE)
#endif
