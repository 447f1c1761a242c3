/*
 * pool_kernels.h -- the row microkernels of max/min and average pooling, listed once (internal header).
 *
 * Each kernel is written once (pool_kernels_template.h) and compiled per ISA (kernels_<isa>.c) and
 * dtype; names ck_pool_<kernel>__<isa>_<dtype>. The X-macro lists below declare them and fill the
 * tables of pool_kernels.c; ck_pool_select_<dtype>() returns the first row the CPU (ck_cpu_isa(),
 * capped by CNNKERN_ISA) supports. The plain reference is the operators' general row code
 * (max_hreduce__general, the general loops of avg_row_sum__separable), which stays.
 *
 * Kernels (T = float / double; every output OVERWRITTEN; no alignment assumed; no state, thread-safe):
 *   max_cols(r0, step, nr, n, v, is_min)  v[j] = extreme over t < nr (in that order) of r0[t*step + j],
 *                                          j < n, nr >= 1;
 *   max_hs1(w, n, K, y, is_min)           y[i] = extreme over k < K of w[i + k], i < n (stride 1);
 *   max_hs2(w, n, K, y, is_min)           y[i] = extreme over k < K of w[2i + k], i < n (stride 2);
 *   sum_cols(r0, step, nr, n, v)          v[j] = ((r0[j] + r0[step + j]) + ...) over t < nr;
 *   sum_hs1(w, n, K, y)                   y[i] = (((0 + w[i]) + w[i + 1]) + ...) over k < K;
 *   sum_hs2(w, n, K, y)                   y[i] = ((w[2i] + w[2i + 1]) + ...) over k < K, K >= 2.
 * Extreme: the window-order rule of ck_pool.h, CK_BETTER (a tap replaces the best when strictly
 * better or NaN), so values are bit-identical to the reference, NaNs and signed zeros included. Sums
 * add in the stated order, so they are bit-identical too. Reads stay inside what the formulas index.
 */
#ifndef CK_POOL_KERNELS_H
#define CK_POOL_KERNELS_H

#include "cnnkern/ck_common.h"
#include "cnnkern/ck_simd_x86.h"

#define CK_POOL_KERNEL_TYPES(T, DT)                                                                 \
    typedef void (*ck_pool_cols_fn_##DT)(const T *r0, ck_index step, int nr, ck_index n, T *v,      \
                                         int is_min);                                               \
    typedef void (*ck_pool_hred_fn_##DT)(const T *w, ck_index n, int K, T *y, int is_min);          \
    typedef struct ck_pool_kernel_set_##DT {                                                           \
        ck_isa isa;                                                                                 \
        ck_pool_cols_fn_##DT max_cols, sum_cols;                                                    \
        ck_pool_hred_fn_##DT max_hs1, max_hs2, sum_hs1, sum_hs2;                                    \
    } ck_pool_kernel_set_##DT;
CK_POOL_KERNEL_TYPES(float, f32)
CK_POOL_KERNEL_TYPES(double, f64)
#undef CK_POOL_KERNEL_TYPES

/* List columns: ISA, max_cols, sum_cols, max_hs1, max_hs2, sum_hs1, sum_hs2. Best ISA first. */
#define CK_POOL_ROW(X, ISA, isa, dt)                                                                \
    X(ISA, ck_pool_max_cols__##isa##_##dt, ck_pool_sum_cols__##isa##_##dt,                          \
      ck_pool_max_hs1__##isa##_##dt, ck_pool_max_hs2__##isa##_##dt,                                 \
      ck_pool_sum_hs1__##isa##_##dt, ck_pool_sum_hs2__##isa##_##dt)
#if CK_SIMD_X86
#define CK_POOL_KERNELS_X86(X, dt) CK_POOL_ROW(X, CK_ISA_AVX512, avx512, dt) CK_POOL_ROW(X, CK_ISA_AVX2, avx2, dt)
#else
#define CK_POOL_KERNELS_X86(X, dt)
#endif
#define CK_POOL_F32_KERNELS(X) CK_POOL_KERNELS_X86(X, f32) CK_POOL_ROW(X, CK_ISA_GENERIC, generic, f32)
#define CK_POOL_F64_KERNELS(X) CK_POOL_KERNELS_X86(X, f64) CK_POOL_ROW(X, CK_ISA_GENERIC, generic, f64)

#define CK_POOL_DECLARE_T(T, mc, sc, m1, m2, s1, s2)                                                \
    void mc(const T *, ck_index, int, ck_index, T *, int);                                          \
    void sc(const T *, ck_index, int, ck_index, T *, int);                                          \
    void m1(const T *, ck_index, int, T *, int);                                                    \
    void m2(const T *, ck_index, int, T *, int);                                                    \
    void s1(const T *, ck_index, int, T *, int);                                                    \
    void s2(const T *, ck_index, int, T *, int);
#define CK_POOL_DECLARE_F32(ISA, ...) CK_POOL_DECLARE_T(float, __VA_ARGS__)
#define CK_POOL_DECLARE_F64(ISA, ...) CK_POOL_DECLARE_T(double, __VA_ARGS__)
CK_POOL_F32_KERNELS(CK_POOL_DECLARE_F32)
CK_POOL_F64_KERNELS(CK_POOL_DECLARE_F64)

/* The kernels of the ISA in use (first list row the CPU supports). */
const ck_pool_kernel_set_f32 *ck_pool_select_f32(void);
const ck_pool_kernel_set_f64 *ck_pool_select_f64(void);

#endif /* CK_POOL_KERNELS_H */
