/*
 * pool_common.h -- window geometry and threading helpers shared by every pooling kind
 * (csrc/pool/{max,avg,lp,adaptive,global}/; contract of the operators: cnnkern/ck_pool.h).
 *
 * Contract: dtype-free static inline helpers only (no state). Index arithmetic takes the arguments
 * as documented in ck_pool.h (sizes >= 1, strides/dilations >= 1, pads >= 0). Every operator's
 * workspace goes through pool_alloc / pool_free: the counting allocator (ck_aligned_alloc, reached
 * through the runtime capsule in this extension), so it shows in the allocation counters.
 * Included by each kind's *_impl.inc, which the kind's _f32.c / _f64.c instantiate.
 */
#ifndef CK_POOL_COMMON_H
#define CK_POOL_COMMON_H

#include "cnnkern/ck_pool.h"
#include <math.h>
#include <string.h>
#include <assert.h>

#include "cnnkern/ck_interrupt.h"

/* Calls touching fewer elements than this run on one thread: waking an OpenMP team costs more than
 * the work (and far more on a loaded machine). Every operator declares `const int nt = team_size(p);`. */
#define CK_POOL_PARALLEL_GRAIN 32768

#if CK_BUILD_OPENMP
#include <omp.h>
#define CK_OMP_PARALLEL _Pragma("omp parallel num_threads(nt)")
#define CK_OMP_FOR _Pragma("omp for schedule(static)")
#define CK_OMP_ATOMIC_WRITE _Pragma("omp atomic write")
#else
#define CK_OMP_PARALLEL
#define CK_OMP_FOR
#define CK_OMP_ATOMIC_WRITE
#endif

#define CK_ALWAYS_INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------------------------------------------ */
/* Index arithmetic (all arguments as documented; b >= 1).                                            */

static inline int team_size(const ck_pool_params *p)
{
    const ck_index work = p->planes * (ck_pool_in_plane(p) + ck_pool_out_plane(p));
    return (work < CK_POOL_PARALLEL_GRAIN || p->num_threads < 1) ? 1 : ck_team(p->num_threads, p->planes * ck_pool_out_plane(p));
}

static inline ck_index ceil_div_nonneg(ck_index a, ck_index b) { return (a + b - 1) / b; }

/* Taps k in [*lo, *hi) of a window whose tap 0 sits at `start` land inside [0, n). */
static inline void tap_range(ck_index start, ck_index dil, ck_index K, ck_index n,
                             ck_index *lo, ck_index *hi)
{
    ck_index l = start >= 0 ? 0 : ceil_div_nonneg(-start, dil);
    ck_index h = (n - 1 - start < 0) ? 0 : (n - 1 - start) / dil + 1;
    if (h > K) h = K;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* W taps kw in [*lo, *hi) that land inside [0, IW) for some output in [o0, o1): the others read only
 * padding, so a huge kernel over a small input costs what its in-range taps cost. */
static inline void kw_span(const ck_pool_params *p, ck_index o0, ck_index o1, ck_index *lo, ck_index *hi)
{
    const ck_index IW = p->in_size[2], KW = p->kernel[2], sw = p->stride[2], dw = p->dilation[2];
    const ck_index pw = p->pad_before[2];
    ck_index l = 0, h = 0;
    if (o1 > o0) {
        const ck_index need = pw - (o1 - 1) * sw;     /* last output's position >= 0: kw*dw >= need */
        const ck_index below = IW + pw - o0 * sw;     /* first output's position < IW: kw*dw < below */
        l = need > 0 ? ceil_div_nonneg(need, dw) : 0;
        h = below > 0 ? ceil_div_nonneg(below, dw) : 0;
        if (h > KW) h = KW;
        if (l > h) l = h;
    }
    *lo = l;
    *hi = h;
}

/* Outputs o in [*lo, *hi) (clipped to [o0, o1)) whose position o*stride + off lies in [0, n). */
static inline void out_range(ck_index off, ck_index stride, ck_index n, ck_index o0, ck_index o1,
                             ck_index *lo, ck_index *hi)
{
    ck_index l = off >= 0 ? 0 : ceil_div_nonneg(-off, stride);
    ck_index h = (n - 1 - off < 0) ? 0 : (n - 1 - off) / stride + 1;
    if (l < o0) l = o0;
    if (h > o1) h = o1;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* Rows shorter than this (elements) are reduced in line: a call to a SIMD row kernel costs more. */
#define CK_POOL_SHORT_ROW 16

/* The in-range taps [t[2o], t[2o + 1]) of every output o of one axis (tap_range), computed once per
 * call so that the per-row loops divide nothing. t has 2 * out_size[axis] entries. */
static inline void axis_tap_table(const ck_pool_params *p, int axis, ck_index *t)
{
    for (ck_index o = 0; o < p->out_size[axis]; o++)
        tap_range(o * p->stride[axis] - p->pad_before[axis], p->dilation[axis], p->kernel[axis],
                  p->in_size[axis], &t[2 * o], &t[2 * o + 1]);
}

/* The three axes' tap tables (depth, height, width) in one allocation: pool_taps_alloc returns it
 * (NULL when it fails) for pool_free. */
typedef struct {
    ck_index *axis[3];
} ck_pool_taps;

/* PyTorch's initial argmax position on one axis: the first tap at a position >= 0. */
static inline ck_index first_nonneg_tap(ck_index start, ck_index dil)
{
    return start >= 0 ? start : start + ceil_div_nonneg(-start, dil) * dil;
}

/* The max/min NaN rule of windowed and adaptive max: "v replaces best" when strictly better, or
 * when v is NaN (PyTorch: val > maxval || isnan(val)). */
#define CK_BETTER(is_min, v, best) (((is_min) ? ((v) < (best)) : ((v) > (best))) | ((v) != (v)))

static inline void *pool_alloc(size_t bytes) { return ck_aligned_alloc(bytes ? bytes : 1); }
static inline void pool_free(void *p) { ck_aligned_free(p); }

/* The interior [*a, *b) of an output row: the outputs whose taps are all in range and that a SIMD row
 * kernel reduces (stride 1, or 2 with at most 3 taps; dilation 1); *a == *b when none applies. */
static inline void pool_row_interior(const ck_pool_params *p, ck_index *a, ck_index *b)
{
    const ck_index IW = p->in_size[2], OW = p->out_size[2];
    const ck_index KW = p->kernel[2], sw = p->stride[2], dw = p->dilation[2], pw = p->pad_before[2];
    *a = *b = 0;
    if (p->use_fast_paths && (sw == 1 || (sw == 2 && KW <= 3)) && dw == 1 && IW - KW + pw >= 0) {
        ck_index lo = ceil_div_nonneg(pw, sw), hi = (IW - KW + pw) / sw + 1;
        if (hi > OW) hi = OW;
        if (lo > hi) lo = hi;
        *a = lo;
        *b = hi;
    }
}

static inline ck_index *pool_taps_alloc(const ck_pool_params *p, ck_pool_taps *taps)
{
    const ck_index n = 2 * (p->out_size[0] + p->out_size[1] + p->out_size[2]);
    ck_index *buf = (ck_index *)pool_alloc((size_t)n * sizeof(ck_index));
    if (!buf)
        return NULL;
    taps->axis[0] = buf;
    taps->axis[1] = buf + 2 * p->out_size[0];
    taps->axis[2] = taps->axis[1] + 2 * p->out_size[1];
    for (int a = 0; a < 3; a++)
        axis_tap_table(p, a, taps->axis[a]);
    return buf;
}

#endif /* CK_POOL_COMMON_H */
