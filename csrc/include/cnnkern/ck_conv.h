/*
 * ck_conv.h -- the convolution operator family: one parameter struct, every algorithm, every direction.
 *
 * Every convolution is handled as 3-D: a 1-D problem has D = H = 1 (and kernel/stride/... of 1 there),
 * a 2-D problem has D = 1. Python builds the struct once (cnnkern/_params.py) and every algorithm and
 * direction receives the same struct.
 *
 * Tensors (dense, C-contiguous):
 *   x [batch][in_channels][in_size[0]][in_size[1]][in_size[2]]
 *   w [out_channels][in_channels / groups][kernel_size[0]][kernel_size[1]][kernel_size[2]]
 *   b [out_channels]                                       (may be NULL: no bias)
 *   y [batch][out_channels][out_size[0]][out_size[1]][out_size[2]]
 *
 * Semantics (cross-correlation, as every deep-learning library):
 *   y[n][k][o] = b[k] + sum_{c in group(k), t} w[k][c'][t] * x[n][c][o*stride + t*dilation - pad_before]
 *   with zero outside the input, per spatial axis. out_size was computed by Python from
 *   floor((in + pad_before + pad_after - dilation*(kernel-1) - 1) / stride) + 1 and is >= 1.
 *
 * Directions (OUT arrays are overwritten, never accumulated into):
 *   fwd         (x, w, b) -> y
 *   bwd_input   (dy, w)   -> dx     dx = d<y, dy>/dx, the transposed convolution
 *   bwd_weight  (dy, x)   -> dw
 *   bwd_bias    (dy)      -> db     db[k] = sum_{n, o} dy[n][k][o]
 *
 * Parameter ranges: batch >= 0 (0 returns at once), channels >= 1, groups divides both channel counts,
 * stride >= 1, dilation >= 1, pad_before/pad_after >= 0 and arbitrary (they may exceed the kernel),
 * out_size >= 1. num_threads >= 1 is the OpenMP team size for this call.
 */
#ifndef CK_CONV_H
#define CK_CONV_H

#include "cnnkern/ck_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CK_MAX_SPATIAL 3

typedef struct ck_conv_params {
    ck_index batch;
    ck_index in_channels;
    ck_index out_channels;
    ck_index groups;
    ck_index in_size[CK_MAX_SPATIAL];
    ck_index kernel_size[CK_MAX_SPATIAL];
    ck_index out_size[CK_MAX_SPATIAL];
    ck_index stride[CK_MAX_SPATIAL];
    ck_index dilation[CK_MAX_SPATIAL];
    ck_index pad_before[CK_MAX_SPATIAL];
    ck_index pad_after[CK_MAX_SPATIAL];
    int num_threads;
} ck_conv_params;

/* The three passes an algorithm may have (bwd_bias is shared by all). */
typedef enum ck_conv_direction { CK_CONV_FWD = 0, CK_CONV_BWD_INPUT = 1, CK_CONV_BWD_WEIGHT = 2 } ck_conv_direction;

/* Derived sizes, in one place. */
static inline ck_index ck_conv_in_plane(const ck_conv_params *p)
{ return p->in_size[0] * p->in_size[1] * p->in_size[2]; }
static inline ck_index ck_conv_out_plane(const ck_conv_params *p)
{ return p->out_size[0] * p->out_size[1] * p->out_size[2]; }
static inline ck_index ck_conv_kernel_volume(const ck_conv_params *p)
{ return p->kernel_size[0] * p->kernel_size[1] * p->kernel_size[2]; }
static inline ck_index ck_conv_in_per_group(const ck_conv_params *p)
{ return p->in_channels / p->groups; }
static inline ck_index ck_conv_out_per_group(const ck_conv_params *p)
{ return p->out_channels / p->groups; }

/* ---- reference: plain loops, double accumulation, no SIMD, no threads (csrc/conv/reference/) ---- */
ck_status ck_conv_fwd__reference_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__reference_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_input__reference_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx);
ck_status ck_conv_bwd_input__reference_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx);
ck_status ck_conv_bwd_weight__reference_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__reference_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);

/* ---- bias gradient: shared by every algorithm (a reduction; double accumulation, threaded) ---- */
ck_status ck_conv_bwd_bias_f32(const ck_conv_params *p, const float *dy, float *db);
ck_status ck_conv_bwd_bias_f64(const ck_conv_params *p, const double *dy, double *db);

/* ---- direct: blocked loops, SIMD, OpenMP, no im2col buffer (csrc/conv/direct/) ---- */
ck_status ck_conv_fwd__direct_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__direct_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_input__direct_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx);
ck_status ck_conv_bwd_input__direct_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx);
ck_status ck_conv_bwd_weight__direct_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__direct_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);
/* dx, dw and db in one pass where that pays (depthwise layers at unit stride); CK_ERR_UNSUPPORTED otherwise. */
ck_status ck_conv_bwd_all__direct_f32(const ck_conv_params *p, const float *dy, const float *x, const float *w,
                                      float *dx, float *dw, float *db);
ck_status ck_conv_bwd_all__direct_f64(const ck_conv_params *p, const double *dy, const double *x, const double *w,
                                      double *dx, double *dw, double *db);

/* ---- im2col + GEMM: column matrix in tiles, GEMM through the adapter of ck_gemm.h (csrc/conv/im2col/) ----
 * Extra memory stays under the workspace limit (default 64 MiB; a single column of K = Cg*kvol elements
 * per worker is the floor). Threads: see the contract at the top of csrc/conv/im2col/conv_im2col.c. */
ck_status ck_conv_fwd__im2col_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__im2col_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_input__im2col_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx);
ck_status ck_conv_bwd_input__im2col_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx);
ck_status ck_conv_bwd_weight__im2col_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__im2col_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);

/* Bytes of workspace the im2col operator allocates for this problem, direction and element size. */
size_t ck_conv_workspace__im2col(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size);
/* The workspace limit in bytes (process-wide setting; read at the start of every call). */
void ck_conv_im2col_set_workspace_limit(size_t bytes);
size_t ck_conv_im2col_get_workspace_limit(void);
/* Threading layer: 0 = the BLAS threads, our loops serial; 1 = our OpenMP loops, the BLAS must run on
 * one thread. Process-wide; the default is the measured choice documented in conv_im2col.c. */
void ck_conv_im2col_set_threading(int openmp_loops);
int ck_conv_im2col_get_threading(void);

/* ---- fft: FFT convolution, whole-image or overlap-save tiles, complex GEMM per frequency (csrc/conv/fft/,
 * transforms csrc/fft/). Stride 1 and dilation 1 only: anything else returns CK_ERR_UNSUPPORTED.
 * Contract, workspace and threads: the top of csrc/conv/fft/conv_fft.c. ---- */
ck_status ck_conv_fwd__fft_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__fft_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_input__fft_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx);
ck_status ck_conv_bwd_input__fft_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx);
ck_status ck_conv_bwd_weight__fft_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__fft_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);
/* fft's support test (the table's): NULL for stride 1 and dilation 1, else why not. */
const char *ck_conv_fft_unsupported(const ck_conv_params *p, ck_conv_direction dir);
/* 1 if the fft algorithm computes this problem (ck_conv_fft_unsupported(p, CK_CONV_FWD) == NULL). */
int ck_conv_fft_supports(const ck_conv_params *p);
/* Bytes the plain fft entry points allocate (kernel spectrum or dW accumulator, block spectra, workers). */
size_t ck_conv_workspace__fft(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size, int num_threads);

/* Plans: tiling, transform tables; immutable after creation, usable from many threads at once.
 * dir FWD: runs (x, b) -> y; BWD_INPUT: runs dy -> dx (ck_conv_fft_run_* with b = NULL);
 * BWD_WEIGHT: ck_conv_fft_run_bwd_weight_*. tile[a] per spatial axis: 0 = chosen by the cost model,
 * -1 = whole image, N > 0 = overlap-save tiles with transform size N (2^a 3^b 5^c, even on the last
 * axis, >= kernel size; else CK_ERR_INVALID); tile == NULL is all 0. elem_size (4/8) sizes the memory. */
typedef struct ck_conv_fft_plan ck_conv_fft_plan;
ck_status ck_conv_fft_plan_create(const ck_conv_params *p, ck_conv_direction dir, const ck_index tile[3],
                                  size_t elem_size, ck_conv_fft_plan **out);
void ck_conv_fft_plan_destroy(ck_conv_fft_plan *plan);
/* Transform sizes, tiles per axis and the tiles per pass of the plan. */
void ck_conv_fft_plan_info(const ck_conv_fft_plan *plan, ck_index n[3], ck_index ntiles[3],
                           ck_index *block_tiles, size_t elem_size);
/* Complex elements of the kernel spectrum spec[freq][ld] (interleaved re, im), [C_out'][C_in'/groups] at the start of
 * each row of ld >= C_out' C_in'/groups (a few more when that is a multiple of 256: cache sets). */
size_t ck_conv_fft_spectrum_elems(const ck_conv_fft_plan *plan);
/* spec = the kernel spectrum of w (the caller's weight layout; flipped/transposed here for BWD_INPUT). */
ck_status ck_conv_fft_weight_spectrum_f32(const ck_conv_fft_plan *plan, const float *w, float *spec, int num_threads);
ck_status ck_conv_fft_weight_spectrum_f64(const ck_conv_fft_plan *plan, const double *w, double *spec, int num_threads);
ck_status ck_conv_fft_run_f32(const ck_conv_fft_plan *plan, const float *spec, const float *in, const float *b,
                              float *out, int num_threads);
ck_status ck_conv_fft_run_f64(const ck_conv_fft_plan *plan, const double *spec, const double *in, const double *b,
                              double *out, int num_threads);
ck_status ck_conv_fft_run_bwd_weight_f32(const ck_conv_fft_plan *plan, const float *dy, const float *x, float *dw,
                                         int num_threads);
ck_status ck_conv_fft_run_bwd_weight_f64(const ck_conv_fft_plan *plan, const double *dy, const double *x,
                                         double *dw, int num_threads);

/* ---- winograd (BEGIN winograd hook): 2-D 3x3, stride 1, dilation 1, Winograd F(4x4, 3x3)
 * (csrc/conv/winograd/), all three passes. Anything else returns CK_ERR_UNSUPPORTED. Contract,
 * workspace and threads: the top of csrc/conv/winograd/conv_winograd.c. ---- */
ck_status ck_conv_fwd__winograd_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__winograd_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_input__winograd_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx);
ck_status ck_conv_bwd_input__winograd_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx);
ck_status ck_conv_bwd_weight__winograd_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__winograd_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);
/* winograd's support test (the table's): NULL for 2-D 3x3 stride-1 dilation-1 (every direction), else why not. */
const char *ck_conv_winograd_unsupported(const ck_conv_params *p, ck_conv_direction dir);
/* 1 if the winograd algorithm computes this problem (in every direction). */
int ck_conv_winograd_supports(const ck_conv_params *p);
/* Elements of the transformed kernel U (36 * groups * C_in/g * C_out/g) of either direction. */
size_t ck_conv_winograd_weight_elems(const ck_conv_params *p);
/* Bytes the plain entry points allocate (U, tile block buffers, the chunk's channels-last input). */
size_t ck_conv_workspace__winograd(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size);
/* Plans (cnnkern.ConvPlan): U of w for dir FWD or BWD_INPUT once, then runs with it
 * (FWD: in = x, out = y, b may be NULL; BWD_INPUT: in = dy, out = dx, b = NULL). p->num_threads applies. */
ck_status ck_conv_winograd_transform_weight_f32(const ck_conv_params *p, ck_conv_direction dir, const float *w, float *U);
ck_status ck_conv_winograd_transform_weight_f64(const ck_conv_params *p, ck_conv_direction dir, const double *w, double *U);
ck_status ck_conv_winograd_run_f32(const ck_conv_params *p, ck_conv_direction dir, const float *U, const float *in,
                                   const float *b, float *out);
ck_status ck_conv_winograd_run_f64(const ck_conv_params *p, ck_conv_direction dir, const double *U, const double *in,
                                   const double *b, double *out);
/* The plain reference of the transforms (one tile in double; for tests): the m x m outputs y of the
 * 6x6 tile d and the r x r kernel g, r = 3 (F(4x4, 3x3), m = 4) or 5 (F(2x2, 5x5), m = 2). */
void ck_conv_winograd_reference_tile(int r, const double d[36], const double *g, double *y);
/* ---- (END winograd hook) ---- */

/* ---- separable: rank-1 kernel slices as one 1-D pass per axis (csrc/conv/separable/) ----
 * fac[K][C/G][K0 + K1 + K2] holds per slice the factors f0[K0], f1[K1], f2[K2] with
 * w[k][c][i][j][l] = f0[i] * f1[j] * f2[l]. The entry points without "_factors" take the factors from w
 * through its largest-magnitude element (the caller checked rank 1). Extra memory: per thread about
 * one row block of one plane; see the contract at the top of csrc/conv/separable/conv_separable.c.
 * bwd_weight returns CK_ERR_UNSUPPORTED: the weight gradient has no rank-1 structure. */
ck_status ck_conv_fwd__separable_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
ck_status ck_conv_fwd__separable_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
ck_status ck_conv_bwd_input__separable_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx);
ck_status ck_conv_bwd_input__separable_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx);
ck_status ck_conv_bwd_weight__separable_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw);
ck_status ck_conv_bwd_weight__separable_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw);
ck_status ck_conv_fwd__separable_factors_f32(const ck_conv_params *p, const float *x, const float *fac, const float *b, float *y);
ck_status ck_conv_fwd__separable_factors_f64(const ck_conv_params *p, const double *x, const double *fac, const double *b, double *y);
ck_status ck_conv_bwd_input__separable_factors_f32(const ck_conv_params *p, const float *dy, const float *fac, float *dx);
ck_status ck_conv_bwd_input__separable_factors_f64(const ck_conv_params *p, const double *dy, const double *fac, double *dx);
/* The factors of every slice (as the entry points from w take them) and resid[K][C/G] =
 * max|w - outer(factors)| / max|w| per slice (double; 0 for a zero slice): the rank-1 test. */
ck_status ck_conv_separable_factorize_f32(const ck_conv_params *p, const float *w, float *fac, double *resid);
ck_status ck_conv_separable_factorize_f64(const ck_conv_params *p, const double *w, double *fac, double *resid);
/* separable's support test (the table's): every problem forward and backward-input (Python checks rank 1). */
const char *ck_conv_separable_unsupported(const ck_conv_params *p, ck_conv_direction dir);

/* ---- the algorithm table (csrc/conv/conv_algorithms.c): every algorithm the library runs, one row each ----
 * The Cython shim lists its algorithms, runs them and asks their support tests through this table only;
 * adding an algorithm is its folder, one row there and one chooser entry (cnnkern/_choose.py). */
typedef ck_status (*ck_conv_fwd_f32_fn)(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y);
typedef ck_status (*ck_conv_fwd_f64_fn)(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y);
/* bwd_input (dy, w) -> dx and bwd_weight (dy, x) -> dw */
typedef ck_status (*ck_conv_bwd_f32_fn)(const ck_conv_params *p, const float *a, const float *b, float *out);
typedef ck_status (*ck_conv_bwd_f64_fn)(const ck_conv_params *p, const double *a, const double *b, double *out);
/* NULL when the algorithm computes problem p in direction dir, else why not: a static phrase that
 * completes "algorithm='<name>' ..." (the facts of the problem are the caller's to add). */
typedef const char *(*ck_conv_unsupported_fn)(const ck_conv_params *p, ck_conv_direction dir);
/* Bytes of workspace a call of p in dir allocates (p->num_threads workers), for elem_size 4 or 8. */
typedef size_t (*ck_conv_workspace_fn)(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size);
/* The whole backward (dy, x, w) -> dx, dw and db (db NULL: not wanted) in one call, for problems where
 * sharing the reads of dy pays; CK_ERR_UNSUPPORTED (nothing written) where it declines p. Same bits as
 * the row's bwd_input and bwd_weight passes and ck_conv_bwd_bias_*. dx NULL asks only: CK_OK if it
 * would run p (nothing is read or written). */
typedef ck_status (*ck_conv_bwd_all_f32_fn)(const ck_conv_params *p, const float *dy, const float *x, const float *w,
                                            float *dx, float *dw, float *db);
typedef ck_status (*ck_conv_bwd_all_f64_fn)(const ck_conv_params *p, const double *dy, const double *x,
                                            const double *w, double *dx, double *dw, double *db);

typedef struct ck_conv_algorithm {
    const char *name;                    /* the name Python's algorithm= takes */
    ck_conv_fwd_f32_fn fwd_f32;          /* NULL where the algorithm has no such pass */
    ck_conv_fwd_f64_fn fwd_f64;
    ck_conv_bwd_f32_fn bwd_input_f32;
    ck_conv_bwd_f64_fn bwd_input_f64;
    ck_conv_bwd_f32_fn bwd_weight_f32;
    ck_conv_bwd_f64_fn bwd_weight_f64;
    ck_conv_unsupported_fn unsupported;  /* NULL: every problem, every direction it has a pass for */
    ck_conv_workspace_fn workspace;      /* NULL: no workspace beyond small per-thread buffers */
    ck_conv_bwd_all_f32_fn bwd_all_f32;  /* NULL: the backward is always the separate passes */
    ck_conv_bwd_all_f64_fn bwd_all_f64;
} ck_conv_algorithm;

extern const ck_conv_algorithm ck_conv_algorithms[];
extern const int ck_conv_algorithm_count;

/* The row's support test, plus "no such pass" for a NULL pointer: NULL when runnable, else why not. */
const char *ck_conv_algorithm_unsupported(const ck_conv_algorithm *a, const ck_conv_params *p, ck_conv_direction dir);
/* Runs the row's pass for dir on elem_size 4 (float) or 8 (double) data:
 *   FWD (x, w, b) -> y;  BWD_INPUT (dy, w, NULL) -> dx;  BWD_WEIGHT (dy, x, NULL) -> dw.
 * CK_ERR_UNSUPPORTED when the row has no such pass or its support test declines p; else the pass's status. */
ck_status ck_conv_algorithm_run(const ck_conv_algorithm *a, ck_conv_direction dir, size_t elem_size,
                                const ck_conv_params *p, const void *in0, const void *in1, const void *b, void *out);
/* The row's fused backward (dy, x, w) -> dx, dw, db (db may be NULL), batch >= 1: CK_ERR_UNSUPPORTED
 * (nothing written) when the row has none or it declines p; then the caller runs the passes. With dx
 * NULL only the answer (CK_OK: it would run), before the caller allocates the gradients. */
ck_status ck_conv_algorithm_run_backward(const ck_conv_algorithm *a, size_t elem_size, const ck_conv_params *p,
                                         const void *dy, const void *x, const void *w, void *dx, void *dw, void *db);
/* The row's workspace query (0 without one). */
size_t ck_conv_algorithm_workspace(const ck_conv_algorithm *a, const ck_conv_params *p, ck_conv_direction dir,
                                   size_t elem_size);

/* For an algorithm's folder: defines its forward and backward-input passes FWD and BWI (their full names;
 * REALT the element type) on one runner RUN(p, dir, in, w, b, out) of both directions (b NULL for BWI). */
#define CK_CONV_FWD_BWI_VIA(RUN, FWD, BWI, REALT)                                                        \
    ck_status FWD(const ck_conv_params *p, const REALT *x, const REALT *w, const REALT *b, REALT *y)      \
    {                                                                                                    \
        return RUN(p, CK_CONV_FWD, x, w, b, y);                                                          \
    }                                                                                                    \
    ck_status BWI(const ck_conv_params *p, const REALT *dy, const REALT *w, REALT *dx)                   \
    {                                                                                                    \
        return RUN(p, CK_CONV_BWD_INPUT, dy, w, NULL, dx);                                               \
    }

#ifdef __cplusplus
}
#endif
#endif /* CK_CONV_H */
