/*
 * ck_pool.h -- the pooling operator family: one parameter struct, every pool kind, both directions.
 *
 * Every pool is handled as 3-D: a 1-D problem has D = H = 1 (kernel = stride = dilation = 1 and no
 * padding on those axes), a 2-D problem has D = 1. Batch and channels are folded into `planes`
 * (= batch * channels); every plane is pooled independently. Python (cnnkern/pooling.py) validates all
 * arguments and derives out_size once; C trusts the struct (preconditions are assert()s).
 *
 * Tensors (dense, C-contiguous, dtype named by the suffix _f32 / _f64):
 *   x   [planes][in_size[0]][in_size[1]][in_size[2]]        forward input (never modified)
 *   y   [planes][out_size[0]][out_size[1]][out_size[2]]     forward output
 *   idx [planes][out_size[0]][out_size[1]][out_size[2]]     int64 flat offset into one input plane
 *                                                            (id*H*W + ih*W + iw, as PyTorch)
 *   dy  like y, dx like x
 *   w   [kernel[0]][kernel[1]][kernel[2]]  (double)          avg-pool tap weights, or NULL
 *
 * Windows (per spatial axis a, output position o, tap k in [0, kernel[a])):
 *   position = o*stride[a] - pad_before[a] + k*dilation[a]; taps outside [0, in_size[a]) are padding.
 *   Window order is (kd, kh, kw) row-major; max/min keep the FIRST extreme in that order and a NaN
 *   always replaces the current value (so the LAST NaN is reported, exactly PyTorch's CPU rule
 *   `val > best || isnan(val)`). Padding taps are never selected (they act as -inf / +inf).
 *   The initial index of a window is its first tap at a position >= 0 on every axis (PyTorch's).
 *
 *   avg: y = sum_{taps in input} w[k]*x / divisor, w[k] = 1 when w == NULL, and
 *        divisor = divisor_override                             if divisor_override != 0,
 *                  sum of w over taps in [-pad_before, in+pad_after) clipped   if count_include_pad,
 *                  sum of w over taps in the input                    otherwise.
 *        (With w == NULL this is PyTorch's avg_pool: pad_after = pad_before, dilation 1.)
 *   lp:  S = sum_{taps in input} x^p, cnt = taps in input, z = S / cnt * kernel volume,
 *        y = z^(1/p) (C pow semantics: NaN for z < 0 and a non-integer 1/p). This equals PyTorch's
 *        lp_pool (avg_pool of x^p, no padding, times kernel numel, then pow(1/p)).
 *        Backward: dx += dy * (1/p) z^(1/p-1) * vol/cnt * p x^(p-1), and 0 where z == 0.
 *   adaptive (uses only in_size / out_size): window of output o on an axis is
 *        [floor(o*in/out), ceil((o+1)*in/out)).
 *
 * Directions: every OUT array is OVERWRITTEN, never accumulated into (backward zeroes dx itself and
 *   then scatters; each plane is owned by one thread, so no atomics).
 *   max/min bwd with idx == NULL recompute the indices (same rule as the forward).
 *   unpool: out [planes][out_plane] zeroed, then out[idx[o]] = y[o] in order (last write wins);
 *   here in_size describes the pooled input y and out_size the unpooled output.
 *
 * Algorithms (chosen inside each entry point; all give identical values and indices, except that a
 *   value-only max/min may return -0.0 for +0.0 or vice versa, since the order of taps is free there):
 *   max/min value-only  whole-plane reduction (global), 2x2/stride-2 interior kernel, else the
 *                       separable kernel (column extreme of the valid rows, then the kw taps; the
 *                       SIMD row kernels of csrc/pool/kernels/ for the stride-1/2 interior);
 *   max/min with idx    3x3/stride-2 and 2x2/stride-2 interior kernels, else the general row kernel
 *                       (taps in window order); use_fast_paths = 0 forces the general row kernel;
 *   avg unweighted      whole-plane sum (global), else separable (row sums, then kw taps; SIMD row
 *                       kernels for up to 3 rows and the stride-1/2 interior, same order), summed in
 *                       float for _f32 and double for _f64 (as PyTorch); weighted avg and lp sum in double.
 *   Calls touching fewer than CK_POOL_PARALLEL_GRAIN elements run on one thread.
 *
 * Parameter ranges: planes >= 0 (0 returns at once), sizes >= 1, kernel/stride/dilation >= 1,
 *   0 <= pad_before, pad_after; every out_size >= 1; indices given to bwd/unpool are in range.
 *   num_threads >= 1 is the OpenMP team size of this call.
 * Workspace: entry points allocate small per-thread row buffers (O(in_size[2] + out_size[2])
 *   elements) and avg a table of OD + OH + OW divisor counts, all through ck_aligned_alloc (counted);
 *   failure returns CK_ERR_NOMEM.
 * Files: csrc/pool/{max,avg,lp,adaptive}/ (one kind each), global/ (whole-plane kernels), kernels/
 *   (SIMD row kernels, pool_kernels.h), pool_common.h (window geometry shared by all kinds).
 */
#ifndef CK_POOL_H
#define CK_POOL_H

#include "cnnkern/ck_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CK_POOL_DIMS 3

typedef struct ck_pool_params {
    ck_index planes;                    /* batch * channels */
    ck_index in_size[CK_POOL_DIMS];     /* D, H, W */
    ck_index kernel[CK_POOL_DIMS];
    ck_index out_size[CK_POOL_DIMS];
    ck_index stride[CK_POOL_DIMS];
    ck_index dilation[CK_POOL_DIMS];
    ck_index pad_before[CK_POOL_DIMS];
    ck_index pad_after[CK_POOL_DIMS];  /* avg count_include_pad clipping bound (= pad_before) */
    int num_threads;
    int count_include_pad;              /* avg only */
    double divisor_override;            /* avg only; 0 = none */
    double p;                           /* lp only: finite, != 0 */
    int use_fast_paths;                 /* 1: pick 2x2s2 / 3x3s2 max/min kernels when they apply;
                                           0: general row kernel only (tests compare the two) */
} ck_pool_params;

static inline ck_index ck_pool_in_plane(const ck_pool_params *p)
{ return p->in_size[0] * p->in_size[1] * p->in_size[2]; }
static inline ck_index ck_pool_out_plane(const ck_pool_params *p)
{ return p->out_size[0] * p->out_size[1] * p->out_size[2]; }
static inline ck_index ck_pool_kernel_volume(const ck_pool_params *p)
{ return p->kernel[0] * p->kernel[1] * p->kernel[2]; }

/* ---- windowed max / min (general; 2-D 2x2s2 and 3x3s2 fast paths are chosen inside) ---- */
ck_status ck_maxpool_fwd_f32(const ck_pool_params *p, const float *x, float *y, int64_t *idx /* or NULL */);
ck_status ck_maxpool_fwd_f64(const ck_pool_params *p, const double *x, double *y, int64_t *idx);
ck_status ck_minpool_fwd_f32(const ck_pool_params *p, const float *x, float *y, int64_t *idx);
ck_status ck_minpool_fwd_f64(const ck_pool_params *p, const double *x, double *y, int64_t *idx);
ck_status ck_maxpool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x,
                             const int64_t *idx /* or NULL: recompute */, float *dx);
ck_status ck_maxpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x,
                             const int64_t *idx, double *dx);
ck_status ck_minpool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x,
                             const int64_t *idx, float *dx);
ck_status ck_minpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x,
                             const int64_t *idx, double *dx);
ck_status ck_max_unpool_f32(const ck_pool_params *p, const float *y, const int64_t *idx, float *out);
ck_status ck_max_unpool_f64(const ck_pool_params *p, const double *y, const int64_t *idx, double *out);

/* ---- average (optionally weighted) and Lp ---- */
ck_status ck_avgpool_fwd_f32(const ck_pool_params *p, const float *x, const double *w, float *y);
ck_status ck_avgpool_fwd_f64(const ck_pool_params *p, const double *x, const double *w, double *y);
ck_status ck_avgpool_bwd_f32(const ck_pool_params *p, const float *dy, const double *w, float *dx);
ck_status ck_avgpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *w, double *dx);
ck_status ck_lppool_fwd_f32(const ck_pool_params *p, const float *x, float *y);
ck_status ck_lppool_fwd_f64(const ck_pool_params *p, const double *x, double *y);
ck_status ck_lppool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x, float *dx);
ck_status ck_lppool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x, double *dx);

/* ---- adaptive max / avg ---- */
ck_status ck_adaptive_maxpool_fwd_f32(const ck_pool_params *p, const float *x, float *y, int64_t *idx);
ck_status ck_adaptive_maxpool_fwd_f64(const ck_pool_params *p, const double *x, double *y, int64_t *idx);
ck_status ck_adaptive_maxpool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x,
                                      const int64_t *idx, float *dx);
ck_status ck_adaptive_maxpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x,
                                      const int64_t *idx, double *dx);
ck_status ck_adaptive_avgpool_fwd_f32(const ck_pool_params *p, const float *x, float *y);
ck_status ck_adaptive_avgpool_fwd_f64(const ck_pool_params *p, const double *x, double *y);
ck_status ck_adaptive_avgpool_bwd_f32(const ck_pool_params *p, const float *dy, float *dx);
ck_status ck_adaptive_avgpool_bwd_f64(const ck_pool_params *p, const double *dy, double *dx);

#ifdef __cplusplus
}
#endif
#endif /* CK_POOL_H */
