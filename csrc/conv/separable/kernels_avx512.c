/*
 * kernels_avx512.c -- AVX-512F tap-sum kernels of the separable convolution (contract:
 * separable_kernels.h): kernels_simd_template.h with 512-bit vectors and mask-register tails.
 *
 *   ck_sep_tapsum__avx512_f32        blocks of HB = 12 x 16 floats, then 2 vectors, 1 vector, a masked tail
 *   ck_sep_tapsum__avx512_f64        blocks of 12 x 8 doubles, then the same
 *   ck_sep_tapsum_rows__avx512_f32   RR = 4 output rows x VV = 4 vectors of 16 floats (16 zmm sums)
 *   ck_sep_tapsum_rows__avx512_f64   RR = 4 output rows x VV = 4 vectors of 8 doubles
 *   ck_sep_tapsum_shift__avx512_*    blocks of SV = 8 vectors, shifted vectors by valignd/valignq
 *                                    (kernels_avx512_shift_template.h; SV = 12 measured no faster)
 *   ck_sep_tapsum_shift_rows__avx512_*  rows of fewer than 2*SV vectors in pairs (2 x 4 vectors)
 *
 * Every element, in any path, is one FMA chain over the taps in order: the same values as the AVX2
 * kernels (both round each FMA once), so capping the ISA changes the speed, not the result.
 * Compiled with the target of cnnkern/ck_simd_avx512.h only, so the file builds without -m flags; the
 * operator calls these only when ck_cpu_isa() >= CK_ISA_AVX512. No workspace, no threads.
 */
#include "separable_kernels.h"

#if CK_SIMD_X86

#include "cnnkern/ck_simd_avx512.h"
#define CK_SEP_SHIFT_NATIVE 1

/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define TAPSUM_SHIFT ck_sep_tapsum_shift__avx512_f32
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__avx512_f32
#define SV 8
#define ALIGNR(hi, lo, b) _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), (b)))
#define CK_SEP_SH_STEPS CK_SEP_SH_STEP(0) CK_SEP_SH_STEP(1) CK_SEP_SH_STEP(2) CK_SEP_SH_STEP(3) CK_SEP_SH_STEP(4) \
    CK_SEP_SH_STEP(5) CK_SEP_SH_STEP(6) CK_SEP_SH_STEP(7) CK_SEP_SH_STEP(8) CK_SEP_SH_STEP(9) CK_SEP_SH_STEP(10) \
    CK_SEP_SH_STEP(11) CK_SEP_SH_STEP(12) CK_SEP_SH_STEP(13) CK_SEP_SH_STEP(14) CK_SEP_SH_STEP(15)
#include "kernels_avx512_shift_template.h"
#define TAPSUM ck_sep_tapsum__avx512_f32
#define TAPSUM_ROWS ck_sep_tapsum_rows__avx512_f32
#define HB 12
#define RR 4
#define VV 4
#include "kernels_simd_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define TAPSUM_SHIFT ck_sep_tapsum_shift__avx512_f64
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__avx512_f64
#define SV 8
#define ALIGNR(hi, lo, b) _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), (b)))
#define CK_SEP_SH_STEPS CK_SEP_SH_STEP(0) CK_SEP_SH_STEP(1) CK_SEP_SH_STEP(2) CK_SEP_SH_STEP(3) CK_SEP_SH_STEP(4) \
    CK_SEP_SH_STEP(5) CK_SEP_SH_STEP(6) CK_SEP_SH_STEP(7)
#include "kernels_avx512_shift_template.h"
#define TAPSUM ck_sep_tapsum__avx512_f64
#define TAPSUM_ROWS ck_sep_tapsum_rows__avx512_f64
#define HB 12
#define RR 4
#define VV 4
#include "kernels_simd_template.h"

#endif /* CK_SIMD_X86 */
