/*
 * conv_separable.c -- the "separable" convolution operator: every kernel slice w[k][c] is a rank-1
 * tensor f0 (x) f1 (x) f2 (one 1-D factor per spatial axis), so the correlation is three 1-D passes,
 * O(K0 + K1 + K2) multiply-adds per output and slice instead of O(K0*K1*K2). float32 and float64
 * come from conv_separable_template.h (included twice with every function name #defined).
 *
 * Contract (ck_conv.h; 1-D and 2-D problems have size-1 leading axes, whose factor is one number):
 *   x   [N][C][I0][I1][I2]          dy, y [N][K][O0][O1][O2]          b [K] or NULL
 *   fac [K][C/G][K0 + K1 + K2]      per slice: f0[K0], then f1[K1], then f2[K2]
 *   w   [K][C/G][K0][K1][K2]        (entry points without "_factors": factors taken from w through its
 *                                   largest element, see PACK_FACTORS; Python checked rank 1 first,
 *                                   for other w the result is that rank-1 approximation's)
 *   ck_conv_fwd__separable_factors_*       (x, fac, b) -> y   y overwritten
 *   ck_conv_bwd_input__separable_factors_* (dy, fac)   -> dx  dx overwritten (the exact adjoint)
 *   ck_conv_fwd__separable_*, ck_conv_bwd_input__separable_*   the same from w
 *   ck_conv_bwd_weight__separable_*        CK_ERR_UNSUPPORTED: the weight gradient is not rank 1
 *   ck_conv_separable_factorize_*          (w) -> fac, resid[K][C/G] (double): the rank-1 test, serial
 * Every parameter of ck_conv_params: any stride, dilation, asymmetric padding (also larger than the
 * kernel), groups incl. depthwise; batch 0 returns CK_OK. Dense C-contiguous tensors, no alignment
 * assumed. Returns CK_OK or CK_ERR_NOMEM (every allocation checked; all buffers freed).
 *
 * Algorithm. Forward, task = (n, k, output plane i0, block of output rows along axis 1):
 *   y rows = b[k]; for each input channel c of k's group:
 *     pass 1 (axis 0): P = sum_t0 f0[t0] x[n][c][i0*s0 + t0*d0 - pb0], over the rows of the block
 *            (one long contiguous tap sum; when a single plane is in range -- always in 2-D -- P is x
 *            itself and f0 is folded into f1);
 *     per output row i1: pass 2 (axis 1): T = sum_t1 f1[t1] P[i1*s1 + t1*d1 - pb1], a tap sum over
 *            whole rows into a zero-padded row buffer (padded W positions [0, (O2-1)*s2 + (K2-1)*d2]);
 *            at s1 = d1 = 1, CK_SEP_NB = 4 rows at once (tapsum_rows: each P row loaded once for the
 *            4, into 4 row buffers; rows outside the input skipped as per row), else row by row;
 *            pass 3 (axis 2): y[i1][j] += sum_t2 f2[t2] T[j*s2 + t2*d2], with T split into its s2
 *            phases first when s2 > 1, so each tap is one contiguous shifted vector (at s2 = d2 = 1
 *            tapsum_shift, valign-shifted registers on AVX-512; a 4-row group's rows through
 *            tapsum_shift_rows, short rows in pairs). Both passes of a row run while
 *            its row buffer is in L1 (the passes are fused per row / 4-row group).
 * *   Short rows (padded width Wneed <= 512 and <= 1.25*O2) at unit stride in H and W: the same two
 *   passes run on whole row blocks as flattened runs (input rows copied with zero padding into a
 *   block of row stride Wneed), one tap-sum call per pass, block and channel instead of per row.
 *   Pass order: axis 0 first (3-D), then either columns first (axis 1, then axis 2, as above: one
 *   row buffered) or rows first (axis 2 on every input row the block reads, into a block buffer,
 *   then axis 1 as a tap sum over those rows straight into y), whichever needs fewer multiply-adds
 *   for the whole plane by 25% (columns first on ties): columns first costs per plane
 *   O1*(ncol*K1 + O2*K2), rows first rows*(O2*K2) + O1*O2*K1, so rows first wins with a W stride.
 *   Every pass runs along the contiguous axis. The choice depends on the problem only.
 *   Backward-input always runs in one order (below).
 * Backward-input, task = (n, c, block of dx rows along axis 1); dx rows zeroed, then for each
 *   output channel k of c's group and each dy plane i0 reaching a dx plane:
 *     axis 2 adjoint per needed dy row: H[col] = sum over taps with (col + pb2 - t2*d2) = j*s2 of
 *       f2[t2] dy[j], split by column phase col mod s2 (sub-pixel decomposition: a contiguous
 *       correlation per phase on a zero-margined copy of the dy row, no inserted zeros; at
 *       s2 = d2 = 1 one tapsum_shift with the taps reversed, t2 = K2-1 first);
 *     axis 1 adjoint, a gather: Q[r1] = sum over t1 with (r1 + pb1 - t1*d1) = i1*s1 of f1[t1] H[i1]
 *       (at s1 = d1 = 1 tapsum_rows over CK_SEP_NB dx rows per call, taps reversed, t1 = K1-1
 *       first, for every row alike; else t1 = 0 first, row by row);
 *     axis 0 adjoint, a scatter: dx[r0] += f0[t0] Q for each dx plane r0 = i0*s0 + t0*d0 - pb0
 *       (straight into dx, f0 folded in, when a single plane is reached: always in 2-D).
 * Results are identical for any thread count and schedule: every output element is computed by one
 *   task, its sums in an order fixed by the problem (blocks only choose which rows a task owns; the
 *   values of P, T, H, Q for a row do not depend on the block).
 *
 * Threading: one OpenMP team of p->num_threads (no nested regions, no BLAS), dynamic schedule.
 * Per-thread scratch (REAL elements; allocated inside the parallel region with ck_aligned_alloc):
 *   forward     (K0 > 1 ? Prows * I2 : 0) + (rows first ? Prows * O2 : 0) + Wneed + (s2 > 1 ? s2*ceil(Wneed/s2) : 0)
 *               with Prows = min(I1, (RB-1)*s1 + (K1-1)*d1 + 1),
 *               (+ (3*RB + (K1-1)*d1) * Wneed on the flattened short-row path,
 *                + CK_SEP_NB * Wneed and K1 + CK_SEP_NB - 1 pointers on the blocked column pass),
 *               Wneed = (O2-1)*s2 + (K2-1)*d2 + 1, RB = output rows per task (y block <= 256 KiB,
 *               >= 4 tasks per thread); plus max(K0, K1, K2) pointers and coefficients.
 *   bwd_input   min(O1, (RB-1 + (K1-1)*d1)/s1 + 1) * I2 + (K0 > 1 ? RB*I2 : 0) + L + O2 + R + ceil(I2/s2)
 *               with L = ceil((K2-1)*d2/s2), R = max(0, (I2-1+pb2)/s2 - O2 + 1), RB = dx rows per task
 *               (first term <= 1 MiB, >= 4 tasks per thread); plus pointers, coefficients, 2*K0.
 * Shared workspace: the packed factors, K*(C/G)*(K0+K1+K2) reals (entry points taking w only).
 * ISA: the tap-sum kernels of separable_kernels.h (AVX-512F, AVX2+FMA or portable), chosen at run
 *   time by ck_cpu_isa() (CNNKERN_ISA caps it); AVX2 and AVX-512 give bit-identical results.
 * Accumulation is in the tensor's dtype (float for f32).
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_omp.h"
#include "cnnkern/ck_interrupt.h"
#include "separable_kernels.h"

#include <math.h>
#include <string.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#endif

#define CK_SEP_NB 4 /* rows per column-pass call on the blocked path (= RR of the SIMD kernels) */

static inline ck_index ck_sep_cdiv(ck_index a, ck_index b) { return (a + b - 1) / b; }
static inline ck_index ck_sep_min(ck_index a, ck_index b) { return a < b ? a : b; }
static inline ck_index ck_sep_max(ck_index a, ck_index b) { return a > b ? a : b; }
/* floor division and the matching non-negative remainder (b > 0, a of either sign) */
static inline ck_index ck_sep_fdiv(ck_index a, ck_index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline ck_index ck_sep_fmod(ck_index a, ck_index b) { return a - b * ck_sep_fdiv(a, b); }

/* max |p[i]| over 0 <= i < n (n >= 1, finite values): the pivot search of PACK_FACTORS. SSE2 (every
 * x86-64) with 4 vector maxima: GCC does not vectorise the float "a > m ? a : m" (its NaN and signed-
 * zero semantics), and the scalar compare chain cost ~3 cycles per element, 14% of a 4x32x64x64
 * k = 31 forward (1024 slices packed twice: the Python rank-1 test, then the operator). */
/* One element of the residual row of SEP_FACTORIZE: *err = max(*err, |a - fij*f|), *vmax = max(*vmax, |a|). */
static inline void ck_sep_resid1(double a, double f, double fij, double *err, double *vmax)
{
    const double d = fabs(a - fij * f);
    *err = d > *err ? d : *err;
    *vmax = fabs(a) > *vmax ? fabs(a) : *vmax;
}
#if CK_SIMD_X86
#include <emmintrin.h>
/* One dtype: SFX the SSE2 intrinsic suffix (ps / pd), VL its lanes, ABS the scalar fabs. */
#define CK_SEP_ABSMAX_SSE2(NAME, REALT, VEC, VL, SFX, ABS)                                              \
    static REALT NAME(const REALT *p, ck_index n)                                                      \
    {                                                                                                  \
        const VEC sign = _mm_set1_##SFX(-0.0);                                                         \
        VEC m0 = _mm_setzero_##SFX(), m1 = m0, m2 = m0, m3 = m0;                                       \
        ck_index i = 0;                                                                                \
        for (; i + 4 * (VL) <= n; i += 4 * (VL)) {                                                     \
            m0 = _mm_max_##SFX(m0, _mm_andnot_##SFX(sign, _mm_loadu_##SFX(p + i)));                    \
            m1 = _mm_max_##SFX(m1, _mm_andnot_##SFX(sign, _mm_loadu_##SFX(p + i + (VL))));             \
            m2 = _mm_max_##SFX(m2, _mm_andnot_##SFX(sign, _mm_loadu_##SFX(p + i + 2 * (VL))));         \
            m3 = _mm_max_##SFX(m3, _mm_andnot_##SFX(sign, _mm_loadu_##SFX(p + i + 3 * (VL))));         \
        }                                                                                              \
        m0 = _mm_max_##SFX(_mm_max_##SFX(m0, m1), _mm_max_##SFX(m2, m3));                              \
        REALT t[VL], m = 0; /* all candidates are >= 0, so starting at 0 changes no result */          \
        _mm_storeu_##SFX(t, m0);                                                                       \
        for (int l = 0; l < (VL); ++l)                                                                 \
            m = t[l] > m ? t[l] : m;                                                                   \
        for (; i < n; ++i) {                                                                           \
            const REALT a = ABS(p[i]);                                                                 \
            m = a > m ? a : m;                                                                         \
        }                                                                                              \
        return m;                                                                                      \
    }
CK_SEP_ABSMAX_SSE2(ck_sep_absmax_f32, float, __m128, 4, ps, fabsf)
CK_SEP_ABSMAX_SSE2(ck_sep_absmax_f64, double, __m128d, 2, pd, fabs)
#undef CK_SEP_ABSMAX_SSE2
/* The residual row of SEP_FACTORIZE, in double: over 0 <= l < n, *err = max(*err, |w[l] - fij*f2[l]|)
 * and *vmax = max(*vmax, |w[l]|) (finite values; max is exact in any order). SSE2, for the same
 * reason as the pivot search. */
static inline __m128d ck_sep_resid2(__m128d a, __m128d f, __m128d fij, __m128d sign, __m128d *vm)
{
    *vm = _mm_max_pd(*vm, _mm_andnot_pd(sign, a));
    return _mm_andnot_pd(sign, _mm_sub_pd(a, _mm_mul_pd(fij, f)));
}
/* *err, *vmax = the max of themselves and the lanes of (e0, e1), (v0, v1). */
static inline void ck_sep_resid_merge(__m128d e0, __m128d e1, __m128d v0, __m128d v1, double *err, double *vmax)
{
    double t[2];
    _mm_storeu_pd(t, _mm_max_pd(e0, e1));
    const double e = t[0] > t[1] ? t[0] : t[1];
    _mm_storeu_pd(t, _mm_max_pd(v0, v1));
    const double v = t[0] > t[1] ? t[0] : t[1];
    *err = e > *err ? e : *err;
    *vmax = v > *vmax ? v : *vmax;
}
static void ck_sep_resid_row_f32(const float *w, const float *f2, double fij, ck_index n, double *err, double *vmax)
{
    const __m128d sign = _mm_set1_pd(-0.0), vf = _mm_set1_pd(fij);
    __m128d e0 = _mm_setzero_pd(), e1 = e0, v0 = e0, v1 = e0;
    ck_index l = 0;
    for (; l + 4 <= n; l += 4) {
        const __m128 a = _mm_loadu_ps(w + l), f = _mm_loadu_ps(f2 + l);
        e0 = _mm_max_pd(e0, ck_sep_resid2(_mm_cvtps_pd(a), _mm_cvtps_pd(f), vf, sign, &v0));
        e1 = _mm_max_pd(e1, ck_sep_resid2(_mm_cvtps_pd(_mm_movehl_ps(a, a)), _mm_cvtps_pd(_mm_movehl_ps(f, f)), vf,
                                          sign, &v1));
    }
    ck_sep_resid_merge(e0, e1, v0, v1, err, vmax);
    for (; l < n; ++l)
        ck_sep_resid1(w[l], f2[l], fij, err, vmax);
}
static void ck_sep_resid_row_f64(const double *w, const double *f2, double fij, ck_index n, double *err, double *vmax)
{
    const __m128d sign = _mm_set1_pd(-0.0), vf = _mm_set1_pd(fij);
    __m128d e0 = _mm_setzero_pd(), e1 = e0, v0 = e0, v1 = e0;
    ck_index l = 0;
    for (; l + 4 <= n; l += 4) {
        e0 = _mm_max_pd(e0, ck_sep_resid2(_mm_loadu_pd(w + l), _mm_loadu_pd(f2 + l), vf, sign, &v0));
        e1 = _mm_max_pd(e1, ck_sep_resid2(_mm_loadu_pd(w + l + 2), _mm_loadu_pd(f2 + l + 2), vf, sign, &v1));
    }
    ck_sep_resid_merge(e0, e1, v0, v1, err, vmax);
    for (; l < n; ++l)
        ck_sep_resid1(w[l], f2[l], fij, err, vmax);
}
#else
#define CK_SEP_RESID_ROW(T, REALT)                                                                      \
    static void ck_sep_resid_row_##T(const REALT *w, const REALT *f2, double fij, ck_index n, double *err, \
                                     double *vmax)                                                      \
    {                                                                                                   \
        for (ck_index l = 0; l < n; ++l)                                                                \
            ck_sep_resid1(w[l], f2[l], fij, err, vmax);                                                 \
    }
CK_SEP_RESID_ROW(f32, float)
CK_SEP_RESID_ROW(f64, double)
#undef CK_SEP_RESID_ROW
static float ck_sep_absmax_f32(const float *p, ck_index n)
{
    float m = 0;
    for (ck_index i = 0; i < n; ++i)
        m = fabsf(p[i]) > m ? fabsf(p[i]) : m;
    return m;
}
static double ck_sep_absmax_f64(const double *p, ck_index n)
{
    double m = 0;
    for (ck_index i = 0; i < n; ++i)
        m = fabs(p[i]) > m ? fabs(p[i]) : m;
    return m;
}
#endif

/* The best kernels the CPU supports (first row of the separable_kernels.h list; CNNKERN_ISA caps it). */
static const CK_SEP_ROW(f32) ck_sep_table_f32[] = {CK_SEP_F32_KERNELS(CK_SEP_TABLE_ENTRY)};
static const CK_SEP_ROW(f64) ck_sep_table_f64[] = {CK_SEP_F64_KERNELS(CK_SEP_TABLE_ENTRY)};

#define REAL float
#define TAPSUM_FN ck_sep_tapsum_f32_fn *
#define SELECT_TAPSUM() (CK_SELECT_ROW(ck_sep_table_f32)->tapsum)
#define TAPSUM_ROWS_FN ck_sep_tapsum_rows_f32_fn *
#define SELECT_TAPSUM_ROWS() (CK_SELECT_ROW(ck_sep_table_f32)->tapsum_rows)
#define TAPSUM_SHIFT_FN ck_sep_tapsum_shift_f32_fn *
#define SELECT_TAPSUM_SHIFT() (CK_SELECT_ROW(ck_sep_table_f32)->tapsum_shift)
#define TAPSUM_SHIFT_ROWS_FN ck_sep_tapsum_shift_rows_f32_fn *
#define SELECT_TAPSUM_SHIFT_ROWS() (CK_SELECT_ROW(ck_sep_table_f32)->tapsum_shift_rows)
#define PACK_FACTORS ck_sep_pack_factors_f32
#define ABSMAX ck_sep_absmax_f32
#define RESID_ROW ck_sep_resid_row_f32
#define SEP_FACTORIZE ck_conv_separable_factorize_f32
#define SEP_FWD_FACTORS ck_conv_fwd__separable_factors_f32
#define SEP_FWD_CTX ck_sep_fwd_ctx_f32
#define SEP_W_PASS ck_sep_w_pass_f32
#define SEP_FWD_PLAN ck_sep_fwd_plan_f32
#define SEP_FWD_FLAT ck_sep_fwd_flat_f32
#define SEP_FWD_ROWS_FIRST ck_sep_fwd_rows_first_f32
#define SEP_FWD_COLS_FIRST ck_sep_fwd_cols_first_f32
#define SEP_BWI_FACTORS ck_conv_bwd_input__separable_factors_f32
#define SEP_BWI_W_ADJOINT ck_sep_bwi_w_adjoint_f32
#define SEP_BWI_H_ADJOINT ck_sep_bwi_h_adjoint_f32
#define SEP_BWI_ROWS_PER_TASK ck_sep_bwi_rows_per_task_f32
#define SEP_FROM_W ck_sep_from_w_f32
#define SEP_FWD ck_conv_fwd__separable_f32
#define SEP_BWI ck_conv_bwd_input__separable_f32
#define SEP_BWW ck_conv_bwd_weight__separable_f32
#include "conv_separable_template.h"

#define REAL double
#define TAPSUM_FN ck_sep_tapsum_f64_fn *
#define SELECT_TAPSUM() (CK_SELECT_ROW(ck_sep_table_f64)->tapsum)
#define TAPSUM_ROWS_FN ck_sep_tapsum_rows_f64_fn *
#define SELECT_TAPSUM_ROWS() (CK_SELECT_ROW(ck_sep_table_f64)->tapsum_rows)
#define TAPSUM_SHIFT_FN ck_sep_tapsum_shift_f64_fn *
#define SELECT_TAPSUM_SHIFT() (CK_SELECT_ROW(ck_sep_table_f64)->tapsum_shift)
#define TAPSUM_SHIFT_ROWS_FN ck_sep_tapsum_shift_rows_f64_fn *
#define SELECT_TAPSUM_SHIFT_ROWS() (CK_SELECT_ROW(ck_sep_table_f64)->tapsum_shift_rows)
#define PACK_FACTORS ck_sep_pack_factors_f64
#define ABSMAX ck_sep_absmax_f64
#define RESID_ROW ck_sep_resid_row_f64
#define SEP_FACTORIZE ck_conv_separable_factorize_f64
#define SEP_FWD_FACTORS ck_conv_fwd__separable_factors_f64
#define SEP_FWD_CTX ck_sep_fwd_ctx_f64
#define SEP_W_PASS ck_sep_w_pass_f64
#define SEP_FWD_PLAN ck_sep_fwd_plan_f64
#define SEP_FWD_FLAT ck_sep_fwd_flat_f64
#define SEP_FWD_ROWS_FIRST ck_sep_fwd_rows_first_f64
#define SEP_FWD_COLS_FIRST ck_sep_fwd_cols_first_f64
#define SEP_BWI_FACTORS ck_conv_bwd_input__separable_factors_f64
#define SEP_BWI_W_ADJOINT ck_sep_bwi_w_adjoint_f64
#define SEP_BWI_H_ADJOINT ck_sep_bwi_h_adjoint_f64
#define SEP_BWI_ROWS_PER_TASK ck_sep_bwi_rows_per_task_f64
#define SEP_FROM_W ck_sep_from_w_f64
#define SEP_FWD ck_conv_fwd__separable_f64
#define SEP_BWI ck_conv_bwd_input__separable_f64
#define SEP_BWW ck_conv_bwd_weight__separable_f64
#include "conv_separable_template.h"

const char *ck_conv_separable_unsupported(const ck_conv_params *p, ck_conv_direction dir)
{
    (void)p;
    if (dir == CK_CONV_BWD_WEIGHT)
        return "has no backward-weight pass: the weight gradient of a separable kernel is in general not "
               "rank 1, so there is no separable shortcut";
    return NULL;
}
