/*
 * pool_kernels_template.h -- the body of every pooling row kernel, for the ISA and dtype selected
 * last (contract: pool_kernels.h). Included by kernels_<isa>.c once per dtype, after the ISA header,
 * ck_simd_f32.h / ck_simd_f64.h, PV_DT (f32 / f64) and the three pooling ops of that ISA and dtype:
 *   PV_STEP_(best, t, pred)  t where t pred best (an ordered _CMP_ predicate) or t is NaN, else best;
 *                         with _CMP_GT_OQ lane-wise CK_BETTER for is_min = 0, with _CMP_LT_OQ for is_min = 1
 *   PV_ADD(a, b)          a + b
 *   PV_EVEN(p)            the LANES elements p[0], p[2], ..., p[2*LANES - 2] (reads p[0 .. 2*LANES))
 * The template #undefs PV_DT and those ops at its end. No include guard: included once per dtype.
 */
#define PV_CAT_(k, isa, dt) ck_pool_##k##__##isa##_##dt
#define PV_CAT(k, isa, dt) PV_CAT_(k, isa, dt)
#define PV_NAME(k) PV_CAT(k, CK_ISA_TOKEN, PV_DT)
#define PV_STEP(best, t, is_min) ((is_min) ? PV_STEP_(best, t, _CMP_LT_OQ) : PV_STEP_(best, t, _CMP_GT_OQ))
#define PV_SCALAR_STEP(best, t, is_min) (CK_BETTER(is_min, (t), (best)) ? (t) : (best))

/* Bodies with the window width and the max/min choice as compile-time constants where it matters
 * (always inlined into the entry points below, which pick the constant instance): the tap loop
 * unrolls and the compiler vectorises the generic (1-lane) instance itself. */
#define PV_INLINE static inline __attribute__((always_inline)) CK_TARGET

PV_INLINE void PV_NAME(max_cols_body)(const REAL *r0, ck_index step, const int nr, ck_index n, REAL *v,
                                      const int is_min)
{
    ck_index j = 0;
    for (; j + LANES <= n; j += LANES) {
        VT best = VLOAD(r0 + j);
        for (int t = 1; t < nr; t++) best = PV_STEP(best, VLOAD(r0 + t * step + j), is_min);
        VSTORE(v + j, best);
    }
    for (; j < n; j++) {
        REAL best = r0[j];
        for (int t = 1; t < nr; t++) best = PV_SCALAR_STEP(best, r0[t * step + j], is_min);
        v[j] = best;
    }
}

PV_INLINE void PV_NAME(sum_cols_body)(const REAL *r0, ck_index step, const int nr, ck_index n, REAL *v)
{
    ck_index j = 0;
    for (; j + LANES <= n; j += LANES) {
        VT s = VLOAD(r0 + j);
        for (int t = 1; t < nr; t++) s = PV_ADD(s, VLOAD(r0 + t * step + j));
        VSTORE(v + j, s);
    }
    for (; j < n; j++) {
        REAL s = r0[j];
        for (int t = 1; t < nr; t++) s += r0[t * step + j];
        v[j] = s;
    }
}

PV_INLINE void PV_NAME(max_hs1_body)(const REAL *w, ck_index n, const int K, REAL *y, const int is_min)
{
    ck_index i = 0;
    for (; i + LANES <= n; i += LANES) {
        VT best = VLOAD(w + i);
        for (int k = 1; k < K; k++) best = PV_STEP(best, VLOAD(w + i + k), is_min);
        VSTORE(y + i, best);
    }
    for (; i < n; i++) {
        REAL best = w[i];
        for (int k = 1; k < K; k++) best = PV_SCALAR_STEP(best, w[i + k], is_min);
        y[i] = best;
    }
}

/* Vector blocks only while another output follows: PV_EVEN(w + 2i + K - 1) reads one element past
 * the last tap of output i + LANES - 1, which is a tap of output i + LANES. */
PV_INLINE void PV_NAME(max_hs2_body)(const REAL *w, ck_index n, const int K, REAL *y, const int is_min)
{
    ck_index i = 0;
    for (; i + LANES < n; i += LANES) {
        VT best = PV_EVEN(w + 2 * i);
        for (int k = 1; k < K; k++) best = PV_STEP(best, PV_EVEN(w + 2 * i + k), is_min);
        VSTORE(y + i, best);
    }
    for (; i < n; i++) {
        REAL best = w[2 * i];
        for (int k = 1; k < K; k++) best = PV_SCALAR_STEP(best, w[2 * i + k], is_min);
        y[i] = best;
    }
}

PV_INLINE void PV_NAME(sum_hs1_body)(const REAL *w, ck_index n, const int K, REAL *y)
{
    ck_index i = 0;
    for (; i + LANES <= n; i += LANES) {
        VT s = VZERO();
        for (int k = 0; k < K; k++) s = PV_ADD(s, VLOAD(w + i + k));
        VSTORE(y + i, s);
    }
    for (; i < n; i++) {
        REAL s = 0;
        for (int k = 0; k < K; k++) s += w[i + k];
        y[i] = s;
    }
}

PV_INLINE void PV_NAME(sum_hs2_body)(const REAL *w, ck_index n, const int K, REAL *y)
{
    ck_index i = 0;
    for (; i + LANES < n; i += LANES) {
        VT s = PV_EVEN(w + 2 * i);
        for (int k = 1; k < K; k++) s = PV_ADD(s, PV_EVEN(w + 2 * i + k));
        VSTORE(y + i, s);
    }
    for (; i < n; i++) {
        REAL s = w[2 * i];
        for (int k = 1; k < K; k++) s += w[2 * i + k];
        y[i] = s;
    }
}

/* Entry points: constant instances for 2 and 3 rows / taps (the common windows), else the general one. */
#define PV_BY_WIDTH(call, K, ...)                                                                   \
    do {                                                                                            \
        if ((K) == 2) call(__VA_ARGS__, 2);                                                         \
        else if ((K) == 3) call(__VA_ARGS__, 3);                                                    \
        else call(__VA_ARGS__, K);                                                                  \
    } while (0)
#define PV_MAX_COLS(r0, step, n, v, is_min, nr) PV_NAME(max_cols_body)(r0, step, nr, n, v, is_min)
#define PV_SUM_COLS(r0, step, n, v, nr) PV_NAME(sum_cols_body)(r0, step, nr, n, v)
#define PV_MAX_HS1(w, n, y, is_min, K) PV_NAME(max_hs1_body)(w, n, K, y, is_min)
#define PV_MAX_HS2(w, n, y, is_min, K) PV_NAME(max_hs2_body)(w, n, K, y, is_min)
#define PV_SUM_HS1(w, n, y, K) PV_NAME(sum_hs1_body)(w, n, K, y)
#define PV_SUM_HS2(w, n, y, K) PV_NAME(sum_hs2_body)(w, n, K, y)

CK_TARGET void PV_NAME(max_cols)(const REAL *r0, ck_index step, int nr, ck_index n, REAL *v, int is_min)
{
    if (is_min) PV_BY_WIDTH(PV_MAX_COLS, nr, r0, step, n, v, 1);
    else PV_BY_WIDTH(PV_MAX_COLS, nr, r0, step, n, v, 0);
}

CK_TARGET void PV_NAME(sum_cols)(const REAL *r0, ck_index step, int nr, ck_index n, REAL *v, int unused)
{
    (void)unused;
    PV_BY_WIDTH(PV_SUM_COLS, nr, r0, step, n, v);
}

CK_TARGET void PV_NAME(max_hs1)(const REAL *w, ck_index n, int K, REAL *y, int is_min)
{
    if (is_min) PV_BY_WIDTH(PV_MAX_HS1, K, w, n, y, 1);
    else PV_BY_WIDTH(PV_MAX_HS1, K, w, n, y, 0);
}

CK_TARGET void PV_NAME(max_hs2)(const REAL *w, ck_index n, int K, REAL *y, int is_min)
{
    if (is_min) PV_BY_WIDTH(PV_MAX_HS2, K, w, n, y, 1);
    else PV_BY_WIDTH(PV_MAX_HS2, K, w, n, y, 0);
}

CK_TARGET void PV_NAME(sum_hs1)(const REAL *w, ck_index n, int K, REAL *y, int unused)
{
    (void)unused;
    PV_BY_WIDTH(PV_SUM_HS1, K, w, n, y);
}

CK_TARGET void PV_NAME(sum_hs2)(const REAL *w, ck_index n, int K, REAL *y, int unused)
{
    (void)unused;
    PV_BY_WIDTH(PV_SUM_HS2, K, w, n, y);
}

#undef PV_INLINE
#undef PV_BY_WIDTH
#undef PV_MAX_COLS
#undef PV_SUM_COLS
#undef PV_MAX_HS1
#undef PV_MAX_HS2
#undef PV_SUM_HS1
#undef PV_SUM_HS2
#undef PV_CAT_
#undef PV_CAT
#undef PV_NAME
#undef PV_STEP
#undef PV_SCALAR_STEP
#undef PV_DT
#undef PV_STEP_
#undef PV_ADD
#undef PV_EVEN
