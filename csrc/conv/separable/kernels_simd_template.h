/* kernels_simd_template.h -- one SIMD tap-sum kernel; included by kernels_avx2.c with REAL, VT, VI,
 * LANES, the V* operations, CK_TARGET and TAPSUM #defined (contract: separable_kernels.h). */

CK_TARGET void TAPSUM(ck_index n, ck_index ntap, const REAL *const *src, const REAL *coef, REAL *out,
                      int accumulate)
{
    ck_index j = 0;
    for (; j + 8 * LANES <= n; j += 8 * LANES) {
        VT a0, a1, a2, a3, a4, a5, a6, a7;
        if (accumulate) {
            a0 = VLOAD(out + j + 0 * LANES); a1 = VLOAD(out + j + 1 * LANES);
            a2 = VLOAD(out + j + 2 * LANES); a3 = VLOAD(out + j + 3 * LANES);
            a4 = VLOAD(out + j + 4 * LANES); a5 = VLOAD(out + j + 5 * LANES);
            a6 = VLOAD(out + j + 6 * LANES); a7 = VLOAD(out + j + 7 * LANES);
        } else {
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = VZERO();
        }
        for (ck_index t = 0; t < ntap; ++t) {
            const VT c = VBCAST(coef + t);
            const REAL *s = src[t] + j;
            a0 = VFMA(c, VLOAD(s + 0 * LANES), a0); a1 = VFMA(c, VLOAD(s + 1 * LANES), a1);
            a2 = VFMA(c, VLOAD(s + 2 * LANES), a2); a3 = VFMA(c, VLOAD(s + 3 * LANES), a3);
            a4 = VFMA(c, VLOAD(s + 4 * LANES), a4); a5 = VFMA(c, VLOAD(s + 5 * LANES), a5);
            a6 = VFMA(c, VLOAD(s + 6 * LANES), a6); a7 = VFMA(c, VLOAD(s + 7 * LANES), a7);
        }
        VSTORE(out + j + 0 * LANES, a0); VSTORE(out + j + 1 * LANES, a1);
        VSTORE(out + j + 2 * LANES, a2); VSTORE(out + j + 3 * LANES, a3);
        VSTORE(out + j + 4 * LANES, a4); VSTORE(out + j + 5 * LANES, a5);
        VSTORE(out + j + 6 * LANES, a6); VSTORE(out + j + 7 * LANES, a7);
    }
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
        VT a0 = accumulate ? VLOAD(out + j) : VZERO();
        VT a1 = accumulate ? VLOAD(out + j + LANES) : VZERO();
        for (ck_index t = 0; t < ntap; ++t) {
            const VT c = VBCAST(coef + t);
            a0 = VFMA(c, VLOAD(src[t] + j), a0);
            a1 = VFMA(c, VLOAD(src[t] + j + LANES), a1);
        }
        VSTORE(out + j, a0);
        VSTORE(out + j + LANES, a1);
    }
    for (; j < n; j += LANES) {
        const ck_index rem = n - j;
        if (rem >= LANES) {
            VT a = accumulate ? VLOAD(out + j) : VZERO();
            for (ck_index t = 0; t < ntap; ++t)
                a = VFMA(VBCAST(coef + t), VLOAD(src[t] + j), a);
            VSTORE(out + j, a);
        } else {
            const VI m = VMASK(rem);
            VT a = accumulate ? VMASKLOAD(out + j, m) : VZERO();
            for (ck_index t = 0; t < ntap; ++t)
                a = VFMA(VBCAST(coef + t), VMASKLOAD(src[t] + j, m), a);
            VMASKSTORE(out + j, m, a);
        }
    }
}

#undef REAL
#undef VT
#undef VI
#undef LANES
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VMASKLOAD
#undef VMASKSTORE
#undef VBCAST
#undef VFMA
#undef VMASK
#undef TAPSUM
