/*
 * conv_reference_template.h -- the plain statement of the maths, for one real type.
 *
 * Included by conv_reference.c once per dtype with REAL and the three function names #defined, so
 * every name stays visible to grep. Contract: ck_conv.h. Double accumulation, no SIMD, no threads,
 * gather form in every direction (each output element is computed once from its definition), so
 * results do not depend on the order of a scatter. Used as an algorithm ("reference") and as the
 * C-side oracle; tests/oracle.py is the independent NumPy one.
 */

/* y[n][k][o] = b[k] + sum_{c, t} w[k][c][t] * x[n][g*Cg + c][o*s + t*d - pb] */
ck_status CONV_FWD_REFERENCE(const ck_conv_params *p, const REAL *x, const REAL *w, const REAL *b, REAL *y)
{
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index *I = p->in_size, *KS = p->kernel_size, *O = p->out_size;
    const ck_index in_plane = ck_conv_in_plane(p), out_plane = ck_conv_out_plane(p);
    const ck_index kvol = ck_conv_kernel_volume(p);

    for (ck_index n = 0; n < p->batch; ++n)
    for (ck_index k = 0; k < p->out_channels; ++k) {
        const ck_index g = k / Kg;
        const REAL *wk = w + k * Cg * kvol;
        REAL *yk = y + (n * p->out_channels + k) * out_plane;
        for (ck_index o0 = 0; o0 < O[0]; ++o0)
        for (ck_index o1 = 0; o1 < O[1]; ++o1)
        for (ck_index o2 = 0; o2 < O[2]; ++o2) {
            if (ck_interrupt_pending()) return CK_ERR_INTERRUPTED; /* Ctrl-C (ck_interrupt.h) */
            double acc = b ? (double)b[k] : 0.0;
            for (ck_index c = 0; c < Cg; ++c) {
                const REAL *xc = x + (n * p->in_channels + g * Cg + c) * in_plane;
                const REAL *wc = wk + c * kvol;
                for (ck_index t0 = 0; t0 < KS[0]; ++t0) {
                    const ck_index i0 = o0 * p->stride[0] + t0 * p->dilation[0] - p->pad_before[0];
                    if (i0 < 0 || i0 >= I[0]) continue;
                    for (ck_index t1 = 0; t1 < KS[1]; ++t1) {
                        const ck_index i1 = o1 * p->stride[1] + t1 * p->dilation[1] - p->pad_before[1];
                        if (i1 < 0 || i1 >= I[1]) continue;
                        for (ck_index t2 = 0; t2 < KS[2]; ++t2) {
                            const ck_index i2 = o2 * p->stride[2] + t2 * p->dilation[2] - p->pad_before[2];
                            if (i2 < 0 || i2 >= I[2]) continue;
                            acc += (double)wc[(t0 * KS[1] + t1) * KS[2] + t2] *
                                   (double)xc[(i0 * I[1] + i1) * I[2] + i2];
                        }
                    }
                }
            }
            yk[(o0 * O[1] + o1) * O[2] + o2] = (REAL)acc;
        }
    }
    return CK_OK;
}

/* dx[n][c][i] = sum_{k in group(c), t : i + pb - t*d = o*s, 0 <= o < O} w[k][c'][t] * dy[n][k][o] */
ck_status CONV_BWD_INPUT_REFERENCE(const ck_conv_params *p, const REAL *dy, const REAL *w, REAL *dx)
{
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index *I = p->in_size, *KS = p->kernel_size, *O = p->out_size;
    const ck_index in_plane = ck_conv_in_plane(p), out_plane = ck_conv_out_plane(p);
    const ck_index kvol = ck_conv_kernel_volume(p);
    ck_index o_of[CK_MAX_SPATIAL];

    for (ck_index n = 0; n < p->batch; ++n)
    for (ck_index c = 0; c < p->in_channels; ++c) {
        const ck_index g = c / Cg, cg = c % Cg;
        REAL *dxc = dx + (n * p->in_channels + c) * in_plane;
        for (ck_index i0 = 0; i0 < I[0]; ++i0)
        for (ck_index i1 = 0; i1 < I[1]; ++i1)
        for (ck_index i2 = 0; i2 < I[2]; ++i2) {
            if (ck_interrupt_pending()) return CK_ERR_INTERRUPTED; /* Ctrl-C (ck_interrupt.h) */
            double acc = 0.0;
            for (ck_index t0 = 0; t0 < KS[0]; ++t0) {
                const ck_index r0 = i0 + p->pad_before[0] - t0 * p->dilation[0];
                if (r0 < 0 || r0 % p->stride[0] != 0 || (o_of[0] = r0 / p->stride[0]) >= O[0]) continue;
                for (ck_index t1 = 0; t1 < KS[1]; ++t1) {
                    const ck_index r1 = i1 + p->pad_before[1] - t1 * p->dilation[1];
                    if (r1 < 0 || r1 % p->stride[1] != 0 || (o_of[1] = r1 / p->stride[1]) >= O[1]) continue;
                    for (ck_index t2 = 0; t2 < KS[2]; ++t2) {
                        const ck_index r2 = i2 + p->pad_before[2] - t2 * p->dilation[2];
                        if (r2 < 0 || r2 % p->stride[2] != 0 || (o_of[2] = r2 / p->stride[2]) >= O[2]) continue;
                        const ck_index o = (o_of[0] * O[1] + o_of[1]) * O[2] + o_of[2];
                        const ck_index t = (t0 * KS[1] + t1) * KS[2] + t2;
                        for (ck_index kg = 0; kg < Kg; ++kg) {
                            const ck_index k = g * Kg + kg;
                            acc += (double)w[(k * Cg + cg) * kvol + t] *
                                   (double)dy[(n * p->out_channels + k) * out_plane + o];
                        }
                    }
                }
            }
            dxc[(i0 * I[1] + i1) * I[2] + i2] = (REAL)acc;
        }
    }
    return CK_OK;
}

/* dw[k][c][t] = sum_{n, o} dy[n][k][o] * x[n][g*Cg + c][o*s + t*d - pb] */
ck_status CONV_BWD_WEIGHT_REFERENCE(const ck_conv_params *p, const REAL *dy, const REAL *x, REAL *dw)
{
    const ck_index Cg = ck_conv_in_per_group(p), Kg = ck_conv_out_per_group(p);
    const ck_index *I = p->in_size, *KS = p->kernel_size, *O = p->out_size;
    const ck_index in_plane = ck_conv_in_plane(p), out_plane = ck_conv_out_plane(p);

    for (ck_index k = 0; k < p->out_channels; ++k)
    for (ck_index c = 0; c < Cg; ++c)
    for (ck_index t0 = 0; t0 < KS[0]; ++t0)
    for (ck_index t1 = 0; t1 < KS[1]; ++t1)
    for (ck_index t2 = 0; t2 < KS[2]; ++t2) {
        if (ck_interrupt_pending()) return CK_ERR_INTERRUPTED; /* Ctrl-C (ck_interrupt.h) */
        const ck_index g = k / Kg;
        double acc = 0.0;
        for (ck_index n = 0; n < p->batch; ++n) {
            const REAL *xc = x + (n * p->in_channels + g * Cg + c) * in_plane;
            const REAL *dyk = dy + (n * p->out_channels + k) * out_plane;
            for (ck_index o0 = 0; o0 < O[0]; ++o0) {
                const ck_index i0 = o0 * p->stride[0] + t0 * p->dilation[0] - p->pad_before[0];
                if (i0 < 0 || i0 >= I[0]) continue;
                for (ck_index o1 = 0; o1 < O[1]; ++o1) {
                    const ck_index i1 = o1 * p->stride[1] + t1 * p->dilation[1] - p->pad_before[1];
                    if (i1 < 0 || i1 >= I[1]) continue;
                    for (ck_index o2 = 0; o2 < O[2]; ++o2) {
                        const ck_index i2 = o2 * p->stride[2] + t2 * p->dilation[2] - p->pad_before[2];
                        if (i2 < 0 || i2 >= I[2]) continue;
                        acc += (double)dyk[(o0 * O[1] + o1) * O[2] + o2] *
                               (double)xc[(i0 * I[1] + i1) * I[2] + i2];
                    }
                }
            }
        }
        dw[(((k * Cg + c) * KS[0] + t0) * KS[1] + t1) * KS[2] + t2] = (REAL)acc;
    }
    return CK_OK;
}
