/*
 * winograd_template.h -- the F(4x4, 3x3) and F(2x2, 5x5) transforms of algorithm "winograd", written
 * once for every ISA and dtype (contract and the reference matrices: winograd_internal.h).
 *
 * Instantiated by winograd_dtypes.h for the ISA and dtype selected with cnnkern/ck_simd_<isa>.h and
 * ck_simd_f32.h / ck_simd_f64.h (REAL, VT, LANES, VLOAD, VSTORE, VADD, VSUB, VMUL, VFMA, VSET1 and
 * CK_TARGET; LANES = 1 for the generic kernels), with
 *   WFN(name)      the kernel's full name (name##__isa##_dtype), #undef'd at the end.
 * Channels are in the vector lanes: a vector is one tile element of LANES consecutive channels, so
 * every load and store of xp, V, U and M is contiguous.
 */

/* BT applied to 6 values (a column or a row of the input tile). */
#define WINO_BT6(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5) do {       \
        VT s_ = VSUB(d4, d2), u_ = VSUB(d1, d3);                          \
        r0 = VFMA(c1_5, u_, VFMA(cm2, d2, VADD(d0, d4)));                 \
        r1 = VFMA(cm2_5, d2, VFMA(cm0_5, d3, VSUB(d4, d1)));              \
        r2 = VFMA(c0_5, d2, VFMA(cm2_5, d3, VADD(d4, d1)));               \
        r3 = VFMA(cm0_5, u_, s_);                                         \
        r4 = VFMA(c2, u_, s_);                                            \
        r5 = VFMA(cm1_5, s_, VFMA(cm2, d3, VADD(d1, d5)));                \
    } while (0)

/* AT applied to 6 values. */
#define WINO_AT6(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3) do {               \
        VT a_ = VADD(m1, m2), b_ = VSUB(m1, m2);                          \
        o0 = VADD(VADD(m0, a_), VADD(m3, m4));                            \
        o1 = VFMA(c2, m3, VFMA(cm0_5, m4, b_));                           \
        o2 = VFMA(c4, m3, VFMA(c0_25, m4, a_));                           \
        o3 = VFMA(c8, m3, VFMA(cm0_125, m4, VADD(b_, m5)));               \
    } while (0)

/* G applied to 3 values. */
#define WINO_G3(g0, g1, g2, u0, u1, u2, u3, u4, u5) do {                     \
        VT e_ = VADD(g0, g2);                                             \
        u0 = g0;                                                          \
        u1 = VMUL(cm1_3, VADD(e_, g1));                                   \
        u2 = VMUL(c1_3, VSUB(e_, g1));                                    \
        u3 = VMUL(c1_15, VFMA(c4, g2, VFMA(c2, g1, g0)));                 \
        u4 = VMUL(c1_15, VFMA(cm4, g2, VFMA(c8, g1, VMUL(cm16, g0))));    \
        u5 = g2;                                                          \
    } while (0)

/* A = AT^T applied to 4 values (a column or a row of an output-gradient tile): the adjoint of WINO_AT6. */
#define WINO_A4(m0, m1, m2, m3, u0, u1, u2, u3, u4, u5) do {                \
        VT a_ = VADD(m0, m2), b_ = VADD(m1, m3);                          \
        u0 = m0;                                                          \
        u1 = VADD(a_, b_);                                                \
        u2 = VSUB(a_, b_);                                                \
        u3 = VFMA(c8, m3, VFMA(c4, m2, VFMA(c2, m1, m0)));                \
        u4 = VFMA(cm0_125, m3, VFMA(c0_25, m2, VFMA(cm0_5, m1, m0)));     \
        u5 = m3;                                                          \
    } while (0)

/* G^T applied to 6 values: the adjoint of WINO_G3. */
#define WINO_GT6(u0, u1, u2, u3, u4, u5, g0, g1, g2) do {                    \
        VT s_ = VADD(u1, u2), d_ = VSUB(u2, u1);                          \
        g0 = VFMA(c1_3, d_, VFMA(c1_15, VFMA(cm16, u4, u3), u0));          \
        g1 = VFMA(cm1_3, s_, VMUL(c1_15, VFMA(c8, u4, VMUL(c2, u3))));     \
        g2 = VFMA(c1_3, d_, VFMA(c1_15, VMUL(c4, VSUB(u3, u4)), u5));      \
    } while (0)

/* F(2x2, 5x5): AT2 applied to 6 values. */
#define WINO_AT6_2(m0, m1, m2, m3, m4, m5, o0, o1) do {                      \
        o0 = VADD(VADD(m0, VADD(m1, m2)), VADD(m3, m4));                  \
        o1 = VFMA(c2, m3, VFMA(cm0_5, m4, VADD(VSUB(m1, m2), m5)));       \
    } while (0)

/* G5 applied to 5 values. */
#define WINO_G5(g0, g1, g2, g3, g4, u0, u1, u2, u3, u4, u5) do {            \
        VT e_ = VADD(VADD(g0, g2), g4), o_ = VADD(g1, g3);                \
        u0 = g0;                                                          \
        u1 = VMUL(cm1_3, VADD(e_, o_));                                   \
        u2 = VMUL(c1_3, VSUB(e_, o_));                                    \
        u3 = VMUL(c1_15, VFMA(c16, g4, VFMA(c8, g3, VFMA(c4, g2, VFMA(c2, g1, g0))))); \
        u4 = VMUL(c1_15, VFMA(c2, g3, VFMA(cm4, g2, VFMA(c8, g1, VFMA(cm16, g0, VSUB(VSET1((REAL)0), g4)))))); \
        u5 = g4;                                                          \
    } while (0)

/* A2 = AT2^T applied to 2 values: the adjoint of WINO_AT6_2. */
#define WINO_A2(m0, m1, u0, u1, u2, u3, u4, u5) do {                        \
        u0 = m0;                                                          \
        u1 = VADD(m0, m1);                                                \
        u2 = VSUB(m0, m1);                                                \
        u3 = VFMA(c2, m1, m0);                                            \
        u4 = VFMA(cm0_5, m1, m0);                                         \
        u5 = m1;                                                          \
    } while (0)

/* G5^T applied to 6 values: the adjoint of WINO_G5. */
#define WINO_GT6_5(u0, u1, u2, u3, u4, u5, g0, g1, g2, g3, g4) do {         \
        VT s_ = VMUL(cm1_3, VADD(u1, u2)), d_ = VMUL(c1_3, VSUB(u2, u1)); \
        g0 = VADD(VADD(u0, d_), VMUL(c1_15, VFMA(cm16, u4, u3)));          \
        g1 = VFMA(c1_15, VFMA(c8, u4, VMUL(c2, u3)), s_);                  \
        g2 = VFMA(c1_15, VMUL(c4, VSUB(u3, u4)), d_);                      \
        g3 = VFMA(c1_15, VFMA(c8, u3, VMUL(c2, u4)), s_);                  \
        g4 = VADD(VFMA(c1_15, VFMA(c16, u3, VSUB(VSET1((REAL)0), u4)), d_), u5); \
    } while (0)

/* Six vectors to six rows lde elements apart (the six tile elements e .. e + 5). */
#define WINO_STORE6(o, lde, r0, r1, r2, r3, r4, r5) do {                   \
        VSTORE((o), r0);                                                  \
        VSTORE((o) + (lde), r1);                                          \
        VSTORE((o) + 2 * (lde), r2);                                      \
        VSTORE((o) + 3 * (lde), r3);                                      \
        VSTORE((o) + 4 * (lde), r4);                                      \
        VSTORE((o) + 5 * (lde), r5);                                      \
    } while (0)

#define WINO_CONSTANTS                                                                       \
    const VT c0_5 = VSET1((REAL)0.5), cm0_5 = VSET1((REAL)-0.5), c1_5 = VSET1((REAL)1.5);         \
    const VT cm1_5 = VSET1((REAL)-1.5), c2 = VSET1((REAL)2), cm2 = VSET1((REAL)-2);              \
    const VT cm2_5 = VSET1((REAL)-2.5), c4 = VSET1((REAL)4), c8 = VSET1((REAL)8);                \
    const VT c0_25 = VSET1((REAL)0.25), cm0_125 = VSET1((REAL)-0.125);                         \
    (void)c0_5; (void)cm0_5; (void)c1_5; (void)cm1_5; (void)c2; (void)cm2; (void)cm2_5;     \
    (void)c4; (void)c8; (void)c0_25; (void)cm0_125

CK_TARGET void WFN(ck_wino_input)(CK_WINO_INPUT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const ck_index cs = g->cs, wp = g->wp, tpi = g->th * g->tw;
    for (ck_index t = t0; t < t0 + nt; ++t) {
        const ck_index n = t / tpi, ty = (t / g->tw) % g->th, tx = t % g->tw;
        const REAL *base = xp + ((n * g->hp + g->m * ty) * wp + g->m * tx) * cs;
        REAL *out = V + (t - t0) * cs;
        for (ck_index c = c0; c < c1; c += LANES) {
            VT d[6][6], q[6][6];
            for (int i = 0; i < 6; ++i)
                for (int j = 0; j < 6; ++j)
                    d[i][j] = VLOAD(base + (i * wp + j) * cs + c);
            for (int j = 0; j < 6; ++j)
                WINO_BT6(d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j],
                         q[0][j], q[1][j], q[2][j], q[3][j], q[4][j], q[5][j]);
            for (int i = 0; i < 6; ++i) {
                VT r0, r1, r2, r3, r4, r5;
                WINO_BT6(q[i][0], q[i][1], q[i][2], q[i][3], q[i][4], q[i][5], r0, r1, r2, r3, r4, r5);
                WINO_STORE6(out + (6 * i) * lde + c, lde, r0, r1, r2, r3, r4, r5);
            }
        }
    }
}

/* The four transforms that differ between the variants, as one step each: the tile side tm = 4 (3x3
 * kernels) or 2 (5x5), the kernel side kr = 3 or 5. The bodies below take tm / kr as constants (each
 * exported kernel passes a literal), so the branch folds away. Arrays in, arrays out. */
#define WINO_AT(tm, d, o) do {                                                                        \
        if ((tm) == 4)                                                                                \
            WINO_AT6((d)[0], (d)[1], (d)[2], (d)[3], (d)[4], (d)[5], (o)[0], (o)[1], (o)[2], (o)[3]); \
        else                                                                                          \
            WINO_AT6_2((d)[0], (d)[1], (d)[2], (d)[3], (d)[4], (d)[5], (o)[0], (o)[1]);               \
    } while (0)
#define WINO_G(kr, gv, u) do {                                                                        \
        if ((kr) == 3)                                                                                \
            WINO_G3((gv)[0], (gv)[1], (gv)[2], (u)[0], (u)[1], (u)[2], (u)[3], (u)[4], (u)[5]);       \
        else                                                                                          \
            WINO_G5((gv)[0], (gv)[1], (gv)[2], (gv)[3], (gv)[4],                                      \
                    (u)[0], (u)[1], (u)[2], (u)[3], (u)[4], (u)[5]);                                  \
    } while (0)
#define WINO_A(tm, mv, u) do {                                                                        \
        if ((tm) == 4)                                                                                \
            WINO_A4((mv)[0], (mv)[1], (mv)[2], (mv)[3], (u)[0], (u)[1], (u)[2], (u)[3], (u)[4], (u)[5]); \
        else                                                                                          \
            WINO_A2((mv)[0], (mv)[1], (u)[0], (u)[1], (u)[2], (u)[3], (u)[4], (u)[5]);                \
    } while (0)
#define WINO_GT(kr, u, gv) do {                                                                       \
        if ((kr) == 3)                                                                                \
            WINO_GT6((u)[0], (u)[1], (u)[2], (u)[3], (u)[4], (u)[5], (gv)[0], (gv)[1], (gv)[2]);      \
        else                                                                                          \
            WINO_GT6_5((u)[0], (u)[1], (u)[2], (u)[3], (u)[4], (u)[5],                                \
                       (gv)[0], (gv)[1], (gv)[2], (gv)[3], (gv)[4]);                                  \
    } while (0)

/* Every constant of G, G5 and their adjoints (WINO_CONSTANTS has those of BT and AT). */
#define WINO_KERNEL_CONSTANTS                                                                        \
    const VT c1_3 = VSET1((REAL)(1.0 / 3.0)), cm1_3 = VSET1((REAL)(-1.0 / 3.0));                     \
    const VT c1_15 = VSET1((REAL)(1.0 / 15.0)), cm4 = VSET1((REAL)-4), cm16 = VSET1((REAL)-16);     \
    const VT c16 = VSET1((REAL)16);                                                                  \
    (void)cm4; (void)c16

/* The output transform: y tile (tm x tm, clipped at the plane's edge) = AT M A (+ bias). */
static inline __attribute__((always_inline)) CK_TARGET void WFN(wino_output_body)(const int tm,
                                                                                CK_WINO_OUTPUT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const ck_index ks = g->ks, tpi = g->th * g->tw, plane = g->oh * g->ow;
    REAL tmp[16][LANES] = {{0}}; /* (every element read is written first; the zeros quiet -Wextra) */
    for (ck_index t = t0; t < t0 + nt; ++t) {
        const ck_index n = t / tpi, ty = (t / g->tw) % g->th, tx = t % g->tw;
        const ck_index r0 = tm * ty, s0 = tm * tx;
        const int nr = g->oh - r0 < tm ? (int)(g->oh - r0) : tm;
        const int ns = g->ow - s0 < tm ? (int)(g->ow - s0) : tm;
        const REAL *in = M + (t - t0) * ks;
        REAL *yt = y + n * y_img + r0 * g->ow + s0;
        for (ck_index k = k0; k < k1; k += LANES) {
            VT q[4][6];
            for (int j = 0; j < 6; ++j) {
                const REAL *mp = in + j * lde + k;
                VT d[6], o[4];
                for (int e = 0; e < 6; ++e)
                    d[e] = VLOAD(mp + 6 * e * lde);
                WINO_AT(tm, d, o);
                for (int i = 0; i < tm; ++i)
                    q[i][j] = o[i];
            }
            const VT bv = bias ? VLOAD(bias + k) : VSET1((REAL)0);
            for (int i = 0; i < tm; ++i) {
                VT o[4];
                WINO_AT(tm, q[i], o);
                for (int j = 0; j < tm; ++j)
                    VSTORE(tmp[tm * i + j], VADD(o[j], bv));
            }
            /* channels are in the lanes; y is NCHW: one short row per (channel, tile row) */
            for (int l = 0; l < LANES; ++l) {
                REAL *yk = yt + (k + l) * plane;
                for (int i = 0; i < nr; ++i)
                    for (int j = 0; j < ns; ++j)
                        yk[i * g->ow + j] = tmp[tm * i + j][l];
            }
        }
    }
}

/* tv[t] = (src[l * sq + t] for the lanes l) for t < taps: LANES kernels' taps, one vector per tap. The
 * taps of a kernel are contiguous and the kernels sq apart (C_in * taps in the forward), so with
 * WINO_GATHER_TRANSPOSE (the ISA file defines it; it needs VTRANSPOSE) LANES taps of every lane are
 * loaded as one vector each and transposed in registers; the taps left over go through memory, a lane
 * at a time. The weight transform was ~60% of r50_3x3_7's forward at batch 1 on a Zen 2 (AVX2, float32,
 * 2 threads); there the transposed gather made the forward 1.1-1.3x faster at 7x7 and 14x14, batch 1
 * and 8, and vgg_conv4_2 1.05-1.1x (builds alternated, 3 runs each). */
static inline __attribute__((always_inline)) CK_TARGET void WFN(wino_gather_taps)(const int taps, const REAL *src,
                                                                                 ck_index sq, VT tv[25])
{
    int t0 = 0;
#ifdef WINO_GATHER_TRANSPOSE
    for (; t0 + LANES <= taps; t0 += LANES) {
        VT v[LANES];
        for (int l = 0; l < LANES; ++l)
            v[l] = VLOAD(src + l * sq + t0);
        VTRANSPOSE(v);
        for (int j = 0; j < LANES; ++j)
            tv[t0 + j] = v[j];
    }
#endif
    REAL buf[25][LANES];
    for (int l = 0; l < LANES; ++l)
        for (int t = t0; t < taps; ++t)
            buf[t][l] = src[l * sq + t];
    for (int t = t0; t < taps; ++t)
        tv[t] = VLOAD(buf[t]);
}

/* The kernel transform: U = G w G^T for kr x kr kernels (taps row-major; rot: reversed). */
static inline __attribute__((always_inline)) CK_TARGET void WFN(wino_weight_body)(const int kr,
                                                                                CK_WINO_WEIGHT_ARGS(REAL))
{
    WINO_CONSTANTS;
    WINO_KERNEL_CONSTANTS;
    const int taps = kr * kr;
    for (ck_index r = r0; r < r1; ++r) {
        for (ck_index q0v = q0; q0v < q1; q0v += LANES) {
            /* tv[tap] = the tap of the LANES kernels (q0v + l, r) */
            VT tv[25];
#ifdef WINO_PREFETCH_ROWS
            /* the lanes' kernels WINO_PREFETCH_ROWS rows on: with hardware prefetch alone the loads
             * of w were most of the transform's time on a Zen 2; builds alternated there (2 threads,
             * float32): r50_3x3_7 batch 1 forward 2.4-3.0 -> 1.9-2.1 ms, input gradient 2.6-3.7 ->
             * 2.0-2.2 ms, batch 8 1.05-1.1x, vgg_conv4_2 batch 1 1.05x */
            if (r + WINO_PREFETCH_ROWS < r1)
                for (int l = 0; l < LANES; ++l)
                    __builtin_prefetch(w + (r + WINO_PREFETCH_ROWS) * sr + (q0v + l) * sq, 0, 3);
#endif
            WFN(wino_gather_taps)(taps, w + r * sr + q0v * sq, sq, tv);
            VT h[6][5];
            for (int b = 0; b < kr; ++b) {
                VT col[5], u[6];
                for (int a = 0; a < kr; ++a)
                    col[a] = tv[rot ? taps - 1 - (kr * a + b) : kr * a + b];
                WINO_G(kr, col, u);
                for (int i = 0; i < 6; ++i)
                    h[i][b] = u[i];
            }
            for (int i = 0; i < 6; ++i) {
                VT u[6];
                WINO_G(kr, h[i], u);
                WINO_STORE6(U + (6 * i) * lde + r * nq + q0v, lde, u[0], u[1], u[2], u[3], u[4], u[5]);
            }
        }
    }
}

/* The weight gradient's output-gradient transform: Y = A dy A^T on tm x tm tiles of dyp. */
static inline __attribute__((always_inline)) CK_TARGET void WFN(wino_grad_output_body)(const int tm,
                                                                                     CK_WINO_GRAD_OUTPUT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const ck_index ks = g->ks, qw = tm * g->tw, tpi = g->th * g->tw;
    for (ck_index t = t0; t < t0 + nt; ++t) {
        const ck_index n = t / tpi, ty = (t / g->tw) % g->th, tx = t % g->tw;
        const REAL *base = dyp + ((n * tm * g->th + tm * ty) * qw + tm * tx) * ks;
        REAL *out = Y + (t - t0) * ks;
        for (ck_index k = k0; k < k1; k += LANES) {
            VT mv[4][4], q[6][4];
            for (int i = 0; i < tm; ++i)
                for (int j = 0; j < tm; ++j)
                    mv[i][j] = VLOAD(base + (i * qw + j) * ks + k);
            for (int j = 0; j < tm; ++j) {
                VT col[4], u[6];
                for (int i = 0; i < tm; ++i)
                    col[i] = mv[i][j];
                WINO_A(tm, col, u);
                for (int i = 0; i < 6; ++i)
                    q[i][j] = u[i];
            }
            for (int i = 0; i < 6; ++i) {
                VT u[6];
                WINO_A(tm, q[i], u);
                WINO_STORE6(out + (6 * i) * lde + k, lde, u[0], u[1], u[2], u[3], u[4], u[5]);
            }
        }
    }
}

/* The weight gradient's kernel-side transform: dw = G^T dU G (kr x kr taps, row-major). */
static inline __attribute__((always_inline)) CK_TARGET void WFN(wino_grad_weight_body)(const int kr,
                                                                                     CK_WINO_GRAD_WEIGHT_ARGS(REAL))
{
    WINO_CONSTANTS;
    WINO_KERNEL_CONSTANTS;
    const int taps = kr * kr;
    REAL buf[25][LANES];
    for (ck_index r = r0; r < r1; ++r) {
        for (ck_index q0v = q0; q0v < q1; q0v += LANES) {
            VT h[5][6];
            for (int j = 0; j < 6; ++j) {
                const REAL *u = dU + j * lde + r * nq + q0v;
                VT uv[6], o[5];
                for (int e = 0; e < 6; ++e)
                    uv[e] = VLOAD(u + 6 * e * lde);
                WINO_GT(kr, uv, o);
                for (int a = 0; a < kr; ++a)
                    h[a][j] = o[a];
            }
            for (int a = 0; a < kr; ++a) {
                VT o[5];
                WINO_GT(kr, h[a], o);
                for (int b = 0; b < kr; ++b)
                    VSTORE(buf[kr * a + b], o[b]);
            }
            for (int l = 0; l < LANES; ++l) {
                REAL *dst = dw + r * sr + (q0v + l) * sq;
                for (int tap = 0; tap < taps; ++tap)
                    dst[tap] = buf[tap][l];
            }
        }
    }
}

/* The exported kernels: F(4x4, 3x3) and F(2x2, 5x5) instances of the four bodies. */
CK_TARGET void WFN(ck_wino_output)(CK_WINO_OUTPUT_ARGS(REAL))
{
    WFN(wino_output_body)(4, g, M, lde, t0, nt, k0, k1, bias, y, y_img);
}

CK_TARGET void WFN(ck_wino_output_2x2)(CK_WINO_OUTPUT_ARGS(REAL))
{
    WFN(wino_output_body)(2, g, M, lde, t0, nt, k0, k1, bias, y, y_img);
}

CK_TARGET void WFN(ck_wino_weight)(CK_WINO_WEIGHT_ARGS(REAL))
{
    WFN(wino_weight_body)(3, w, sr, sq, rot, r0, r1, q0, q1, nq, lde, U);
}

CK_TARGET void WFN(ck_wino_weight_5x5)(CK_WINO_WEIGHT_ARGS(REAL))
{
    WFN(wino_weight_body)(5, w, sr, sq, rot, r0, r1, q0, q1, nq, lde, U);
}

CK_TARGET void WFN(ck_wino_grad_output)(CK_WINO_GRAD_OUTPUT_ARGS(REAL))
{
    WFN(wino_grad_output_body)(4, g, dyp, t0, nt, k0, k1, Y, lde);
}

CK_TARGET void WFN(ck_wino_grad_output_2x2)(CK_WINO_GRAD_OUTPUT_ARGS(REAL))
{
    WFN(wino_grad_output_body)(2, g, dyp, t0, nt, k0, k1, Y, lde);
}

CK_TARGET void WFN(ck_wino_grad_weight)(CK_WINO_GRAD_WEIGHT_ARGS(REAL))
{
    WFN(wino_grad_weight_body)(3, dU, lde, nq, r0, r1, q0, q1, dw, sr, sq);
}

CK_TARGET void WFN(ck_wino_grad_weight_5x5)(CK_WINO_GRAD_WEIGHT_ARGS(REAL))
{
    WFN(wino_grad_weight_body)(5, dU, lde, nq, r0, r1, q0, q1, dw, sr, sq);
}

#undef WINO_BT6
#undef WINO_AT6
#undef WINO_A4
#undef WINO_GT6
#undef WINO_AT6_2
#undef WINO_G5
#undef WINO_A2
#undef WINO_GT6_5
#undef WINO_AT
#undef WINO_G
#undef WINO_A
#undef WINO_GT
#undef WINO_KERNEL_CONSTANTS
#undef WINO_G3
#undef WINO_CONSTANTS
#undef WINO_STORE6
#undef WFN
