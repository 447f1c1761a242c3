/*
 * kernels_generic.c -- the pooling row kernels in plain C (contract: pool_kernels.h): the fallback row
 * of the list on every CPU. Written tap-outer (one pass over the row per tap or input row, as the
 * operators' reference loops), which the compiler vectorises for its baseline ISA without branches;
 * each output still sees its taps in window order, so results equal the SIMD rows bit for bit.
 */
#include "pool_kernels.h"
#include "../pool_common.h"

#define PG_STEP(best, t, is_min) (CK_BETTER(is_min, (t), (best)) ? (t) : (best))

#define PG_KERNELS(T, DT)                                                                           \
    void ck_pool_max_cols__generic_##DT(const T *r0, ck_index step, int nr, ck_index n, T *v, int is_min) \
    {                                                                                               \
        if (v != r0) memmove(v, r0, (size_t)n * sizeof(T));                                        \
        for (int t = 1; t < nr; t++) {                                                              \
            const T *r = r0 + t * step;                                                             \
            if (is_min) for (ck_index j = 0; j < n; j++) v[j] = PG_STEP(v[j], r[j], 1);             \
            else for (ck_index j = 0; j < n; j++) v[j] = PG_STEP(v[j], r[j], 0);                    \
        }                                                                                           \
    }                                                                                               \
    void ck_pool_sum_cols__generic_##DT(const T *r0, ck_index step, int nr, ck_index n, T *v, int unused) \
    {                                                                                               \
        (void)unused;                                                                               \
        if (v != r0) memmove(v, r0, (size_t)n * sizeof(T));                                        \
        for (int t = 1; t < nr; t++) {                                                              \
            const T *r = r0 + t * step;                                                             \
            for (ck_index j = 0; j < n; j++) v[j] += r[j];                                          \
        }                                                                                           \
    }                                                                                               \
    void ck_pool_max_hs1__generic_##DT(const T *w, ck_index n, int K, T *y, int is_min)            \
    {                                                                                               \
        for (ck_index i = 0; i < n; i++) y[i] = w[i];                                               \
        for (int k = 1; k < K; k++) {                                                               \
            if (is_min) for (ck_index i = 0; i < n; i++) y[i] = PG_STEP(y[i], w[i + k], 1);         \
            else for (ck_index i = 0; i < n; i++) y[i] = PG_STEP(y[i], w[i + k], 0);                \
        }                                                                                           \
    }                                                                                               \
    void ck_pool_max_hs2__generic_##DT(const T *w, ck_index n, int K, T *y, int is_min)            \
    {                                                                                               \
        for (ck_index i = 0; i < n; i++) y[i] = w[2 * i];                                           \
        for (int k = 1; k < K; k++) {                                                               \
            if (is_min) for (ck_index i = 0; i < n; i++) y[i] = PG_STEP(y[i], w[2 * i + k], 1);     \
            else for (ck_index i = 0; i < n; i++) y[i] = PG_STEP(y[i], w[2 * i + k], 0);            \
        }                                                                                           \
    }                                                                                               \
    void ck_pool_sum_hs1__generic_##DT(const T *w, ck_index n, int K, T *y, int unused)            \
    {                                                                                               \
        (void)unused;                                                                               \
        for (ck_index i = 0; i < n; i++) y[i] = 0;                                                  \
        for (int k = 0; k < K; k++)                                                                 \
            for (ck_index i = 0; i < n; i++) y[i] += w[i + k];                                      \
    }                                                                                               \
    void ck_pool_sum_hs2__generic_##DT(const T *w, ck_index n, int K, T *y, int unused)            \
    {                                                                                               \
        (void)unused;                                                                               \
        for (ck_index i = 0; i < n; i++) y[i] = w[2 * i];                                           \
        for (int k = 1; k < K; k++)                                                                 \
            for (ck_index i = 0; i < n; i++) y[i] += w[2 * i + k];                                  \
    }

PG_KERNELS(float, f32)
PG_KERNELS(double, f64)
