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

CK_TARGET void WFN(ck_wino_output)(CK_WINO_OUTPUT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const ck_index ks = g->ks, tpi = g->th * g->tw, plane = g->oh * g->ow;
    REAL tmp[16][LANES];
    for (ck_index t = t0; t < t0 + nt; ++t) {
        const ck_index n = t / tpi, ty = (t / g->tw) % g->th, tx = t % g->tw;
        const ck_index r0 = 4 * ty, s0 = 4 * tx;
        const int nr = g->oh - r0 < 4 ? (int)(g->oh - r0) : 4;
        const int ns = g->ow - s0 < 4 ? (int)(g->ow - s0) : 4;
        const REAL *in = M + (t - t0) * ks;
        REAL *yt = y + n * y_img + r0 * g->ow + s0;
        for (ck_index k = k0; k < k1; k += LANES) {
            VT q[4][6];
            for (int j = 0; j < 6; ++j) {
                const REAL *m = in + j * lde + k;
                WINO_AT6(VLOAD(m), VLOAD(m + 6 * lde), VLOAD(m + 12 * lde), VLOAD(m + 18 * lde),
                         VLOAD(m + 24 * lde), VLOAD(m + 30 * lde), q[0][j], q[1][j], q[2][j], q[3][j]);
            }
            const VT bv = bias ? VLOAD(bias + k) : VSET1((REAL)0);
            for (int i = 0; i < 4; ++i) {
                VT o0, o1, o2, o3;
                WINO_AT6(q[i][0], q[i][1], q[i][2], q[i][3], q[i][4], q[i][5], o0, o1, o2, o3);
                VSTORE(tmp[4 * i + 0], VADD(o0, bv));
                VSTORE(tmp[4 * i + 1], VADD(o1, bv));
                VSTORE(tmp[4 * i + 2], VADD(o2, bv));
                VSTORE(tmp[4 * i + 3], VADD(o3, bv));
            }
            /* channels are in the lanes; y is NCHW: one short row per (channel, tile row) */
            for (int l = 0; l < LANES; ++l) {
                REAL *yk = yt + (k + l) * plane;
                for (int i = 0; i < nr; ++i)
                    for (int j = 0; j < ns; ++j)
                        yk[i * g->ow + j] = tmp[4 * i + j][l];
            }
        }
    }
}

CK_TARGET void WFN(ck_wino_weight)(CK_WINO_WEIGHT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const VT c1_3 = VSET1((REAL)(1.0 / 3.0)), cm1_3 = VSET1((REAL)(-1.0 / 3.0));
    const VT c1_15 = VSET1((REAL)(1.0 / 15.0)), cm4 = VSET1((REAL)-4), cm16 = VSET1((REAL)-16);
    REAL buf[9][LANES];
    for (ck_index r = r0; r < r1; ++r) {
        for (ck_index q0v = q0; q0v < q1; q0v += LANES) {
            for (int l = 0; l < LANES; ++l) {
                const REAL *src = w + r * sr + (q0v + l) * sq;
                for (int tap = 0; tap < 9; ++tap)
                    buf[tap][l] = src[rot ? 8 - tap : tap];
            }
            VT gm[3][3], h[6][3];
            for (int a = 0; a < 3; ++a)
                for (int b = 0; b < 3; ++b)
                    gm[a][b] = VLOAD(buf[3 * a + b]);
            for (int b = 0; b < 3; ++b)
                WINO_G3(gm[0][b], gm[1][b], gm[2][b], h[0][b], h[1][b], h[2][b], h[3][b], h[4][b], h[5][b]);
            for (int i = 0; i < 6; ++i) {
                VT u0, u1, u2, u3, u4, u5;
                WINO_G3(h[i][0], h[i][1], h[i][2], u0, u1, u2, u3, u4, u5);
                WINO_STORE6(U + (6 * i) * lde + r * nq + q0v, lde, u0, u1, u2, u3, u4, u5);
            }
        }
    }
}

/* The weight gradient's two transforms (their adjoints of the forward's output and kernel ones). */
CK_TARGET void WFN(ck_wino_grad_output)(CK_WINO_GRAD_OUTPUT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const ck_index ks = g->ks, qw = 4 * g->tw, tpi = g->th * g->tw;
    for (ck_index t = t0; t < t0 + nt; ++t) {
        const ck_index n = t / tpi, ty = (t / g->tw) % g->th, tx = t % g->tw;
        const REAL *base = dyp + ((n * 4 * g->th + 4 * ty) * qw + 4 * tx) * ks;
        REAL *out = Y + (t - t0) * ks;
        for (ck_index k = k0; k < k1; k += LANES) {
            VT m[4][4], q[6][4];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j)
                    m[i][j] = VLOAD(base + (i * qw + j) * ks + k);
            for (int j = 0; j < 4; ++j)
                WINO_A4(m[0][j], m[1][j], m[2][j], m[3][j], q[0][j], q[1][j], q[2][j], q[3][j], q[4][j], q[5][j]);
            for (int i = 0; i < 6; ++i) {
                VT r0, r1, r2, r3, r4, r5;
                WINO_A4(q[i][0], q[i][1], q[i][2], q[i][3], r0, r1, r2, r3, r4, r5);
                WINO_STORE6(out + (6 * i) * lde + k, lde, r0, r1, r2, r3, r4, r5);
            }
        }
    }
}

CK_TARGET void WFN(ck_wino_grad_weight)(CK_WINO_GRAD_WEIGHT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const VT c1_3 = VSET1((REAL)(1.0 / 3.0)), cm1_3 = VSET1((REAL)(-1.0 / 3.0));
    const VT c1_15 = VSET1((REAL)(1.0 / 15.0)), cm16 = VSET1((REAL)-16);
    REAL buf[9][LANES];
    for (ck_index r = r0; r < r1; ++r) {
        for (ck_index q0v = q0; q0v < q1; q0v += LANES) {
            VT h[3][6];
            for (int j = 0; j < 6; ++j) {
                const REAL *u = dU + j * lde + r * nq + q0v;
                WINO_GT6(VLOAD(u), VLOAD(u + 6 * lde), VLOAD(u + 12 * lde), VLOAD(u + 18 * lde),
                         VLOAD(u + 24 * lde), VLOAD(u + 30 * lde), h[0][j], h[1][j], h[2][j]);
            }
            for (int a = 0; a < 3; ++a) {
                VT o0, o1, o2;
                WINO_GT6(h[a][0], h[a][1], h[a][2], h[a][3], h[a][4], h[a][5], o0, o1, o2);
                VSTORE(buf[3 * a + 0], o0);
                VSTORE(buf[3 * a + 1], o1);
                VSTORE(buf[3 * a + 2], o2);
            }
            for (int l = 0; l < LANES; ++l) {
                REAL *dst = dw + r * sr + (q0v + l) * sq;
                for (int tap = 0; tap < 9; ++tap)
                    dst[tap] = buf[tap][l];
            }
        }
    }
}

/* F(2x2, 5x5): the output transform (as ck_wino_output, 2x2 outputs per tile). */
CK_TARGET void WFN(ck_wino_output_2x2)(CK_WINO_OUTPUT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const ck_index ks = g->ks, tpi = g->th * g->tw, plane = g->oh * g->ow;
    REAL tmp[4][LANES];
    for (ck_index t = t0; t < t0 + nt; ++t) {
        const ck_index n = t / tpi, ty = (t / g->tw) % g->th, tx = t % g->tw;
        const ck_index r0 = 2 * ty, s0 = 2 * tx;
        const int nr = g->oh - r0 < 2 ? (int)(g->oh - r0) : 2;
        const int ns = g->ow - s0 < 2 ? (int)(g->ow - s0) : 2;
        const REAL *in = M + (t - t0) * ks;
        REAL *yt = y + n * y_img + r0 * g->ow + s0;
        for (ck_index k = k0; k < k1; k += LANES) {
            VT q[2][6];
            for (int j = 0; j < 6; ++j) {
                const REAL *m = in + j * lde + k;
                WINO_AT6_2(VLOAD(m), VLOAD(m + 6 * lde), VLOAD(m + 12 * lde), VLOAD(m + 18 * lde),
                           VLOAD(m + 24 * lde), VLOAD(m + 30 * lde), q[0][j], q[1][j]);
            }
            const VT bv = bias ? VLOAD(bias + k) : VSET1((REAL)0);
            for (int i = 0; i < 2; ++i) {
                VT o0, o1;
                WINO_AT6_2(q[i][0], q[i][1], q[i][2], q[i][3], q[i][4], q[i][5], o0, o1);
                VSTORE(tmp[2 * i + 0], VADD(o0, bv));
                VSTORE(tmp[2 * i + 1], VADD(o1, bv));
            }
            for (int l = 0; l < LANES; ++l) {
                REAL *yk = yt + (k + l) * plane;
                for (int i = 0; i < nr; ++i)
                    for (int j = 0; j < ns; ++j)
                        yk[i * g->ow + j] = tmp[2 * i + j][l];
            }
        }
    }
}

/* F(2x2, 5x5): the kernel transform (as ck_wino_weight, 25 taps). */
CK_TARGET void WFN(ck_wino_weight_5x5)(CK_WINO_WEIGHT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const VT c1_3 = VSET1((REAL)(1.0 / 3.0)), cm1_3 = VSET1((REAL)(-1.0 / 3.0));
    const VT c1_15 = VSET1((REAL)(1.0 / 15.0)), cm4 = VSET1((REAL)-4), cm16 = VSET1((REAL)-16);
    const VT c16 = VSET1((REAL)16);
    REAL buf[25][LANES];
    for (ck_index r = r0; r < r1; ++r) {
        for (ck_index q0v = q0; q0v < q1; q0v += LANES) {
            for (int l = 0; l < LANES; ++l) {
                const REAL *src = w + r * sr + (q0v + l) * sq;
                for (int tap = 0; tap < 25; ++tap)
                    buf[tap][l] = src[rot ? 24 - tap : tap];
            }
            VT gm[5][5], h[6][5];
            for (int a = 0; a < 5; ++a)
                for (int b = 0; b < 5; ++b)
                    gm[a][b] = VLOAD(buf[5 * a + b]);
            for (int b = 0; b < 5; ++b)
                WINO_G5(gm[0][b], gm[1][b], gm[2][b], gm[3][b], gm[4][b],
                        h[0][b], h[1][b], h[2][b], h[3][b], h[4][b], h[5][b]);
            for (int i = 0; i < 6; ++i) {
                VT u0, u1, u2, u3, u4, u5;
                WINO_G5(h[i][0], h[i][1], h[i][2], h[i][3], h[i][4], u0, u1, u2, u3, u4, u5);
                WINO_STORE6(U + (6 * i) * lde + r * nq + q0v, lde, u0, u1, u2, u3, u4, u5);
            }
        }
    }
}

/* F(2x2, 5x5): the weight gradient's output-gradient transform (dyp tiles of 2x2). */
CK_TARGET void WFN(ck_wino_grad_output_2x2)(CK_WINO_GRAD_OUTPUT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const ck_index ks = g->ks, qw = 2 * g->tw, tpi = g->th * g->tw;
    for (ck_index t = t0; t < t0 + nt; ++t) {
        const ck_index n = t / tpi, ty = (t / g->tw) % g->th, tx = t % g->tw;
        const REAL *base = dyp + ((n * 2 * g->th + 2 * ty) * qw + 2 * tx) * ks;
        REAL *out = Y + (t - t0) * ks;
        for (ck_index k = k0; k < k1; k += LANES) {
            VT m[2][2], q[6][2];
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 2; ++j)
                    m[i][j] = VLOAD(base + (i * qw + j) * ks + k);
            for (int j = 0; j < 2; ++j)
                WINO_A2(m[0][j], m[1][j], q[0][j], q[1][j], q[2][j], q[3][j], q[4][j], q[5][j]);
            for (int i = 0; i < 6; ++i) {
                VT r0, r1, r2, r3, r4, r5;
                WINO_A2(q[i][0], q[i][1], r0, r1, r2, r3, r4, r5);
                WINO_STORE6(out + (6 * i) * lde + k, lde, r0, r1, r2, r3, r4, r5);
            }
        }
    }
}

/* F(2x2, 5x5): dw = G5^T dU G5 (25 taps). */
CK_TARGET void WFN(ck_wino_grad_weight_5x5)(CK_WINO_GRAD_WEIGHT_ARGS(REAL))
{
    WINO_CONSTANTS;
    const VT c1_3 = VSET1((REAL)(1.0 / 3.0)), cm1_3 = VSET1((REAL)(-1.0 / 3.0));
    const VT c1_15 = VSET1((REAL)(1.0 / 15.0)), cm16 = VSET1((REAL)-16), c16 = VSET1((REAL)16);
    REAL buf[25][LANES];
    for (ck_index r = r0; r < r1; ++r) {
        for (ck_index q0v = q0; q0v < q1; q0v += LANES) {
            VT h[5][6];
            for (int j = 0; j < 6; ++j) {
                const REAL *u = dU + j * lde + r * nq + q0v;
                WINO_GT6_5(VLOAD(u), VLOAD(u + 6 * lde), VLOAD(u + 12 * lde), VLOAD(u + 18 * lde),
                           VLOAD(u + 24 * lde), VLOAD(u + 30 * lde), h[0][j], h[1][j], h[2][j], h[3][j], h[4][j]);
            }
            for (int a = 0; a < 5; ++a) {
                VT o0, o1, o2, o3, o4;
                WINO_GT6_5(h[a][0], h[a][1], h[a][2], h[a][3], h[a][4], h[a][5], o0, o1, o2, o3, o4);
                VSTORE(buf[5 * a + 0], o0);
                VSTORE(buf[5 * a + 1], o1);
                VSTORE(buf[5 * a + 2], o2);
                VSTORE(buf[5 * a + 3], o3);
                VSTORE(buf[5 * a + 4], o4);
            }
            for (int l = 0; l < LANES; ++l) {
                REAL *dst = dw + r * sr + (q0v + l) * sq;
                for (int tap = 0; tap < 25; ++tap)
                    dst[tap] = buf[tap][l];
            }
        }
    }
}

#undef WINO_BT6
#undef WINO_AT6
#undef WINO_A4
#undef WINO_GT6
#undef WINO_AT6_2
#undef WINO_G5
#undef WINO_A2
#undef WINO_GT6_5
#undef WINO_G3
#undef WINO_CONSTANTS
#undef WINO_STORE6
#undef WFN
