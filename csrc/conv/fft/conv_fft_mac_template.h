/*
 * conv_fft_mac_template.h -- one ISA x dtype of the complex multiply-accumulate of conv_fft_mac.c
 * (contract there). Included after cnnkern/ck_simd_<isa>.h and ck_simd_<dtype>.h (the vector vocabulary,
 * CK_TARGET) with MAC_R, MAC_NV, MAC_BODY, MAC_FN and (LANES > 1) MAC_TAIL #defined; #undefs those.
 */

/* y[r][0 .. NV*LANES) = sum_c wre(r, c) x[c][.] + wim(r, c) xs[c][.], r < R (accumulators in registers). */
static inline __attribute__((always_inline)) CK_TARGET void
MAC_BODY(const int R, const int NV, ck_index K, const REAL *wre, const REAL *wim, ck_index ldw, ck_index ws,
         const REAL *x, const REAL *xs, ck_index ldx, REAL *y, ck_index ldy)
{
    VT acc[MAC_R][MAC_NV];
    VZERO_TILE(acc, R, NV);
    for (ck_index c = 0; c < K; ++c) {
        VT xv[MAC_NV], sv[MAC_NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
            xv[v] = VLOAD(x + c * ldx + v * LANES);
            sv[v] = VLOAD(xs + c * ldx + v * LANES);
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const VT br = VBCAST(wre + r * ldw + c * ws), bi = VBCAST(wim + r * ldw + c * ws);
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) {
                acc[r][v] = VFMA(br, xv[v], acc[r][v]);
                acc[r][v] = VFMA(bi, sv[v], acc[r][v]);
            }
        }
    }
    VSTORE_TILE(y, ldy, acc, R, NV);
}

#if LANES > 1
/* The same for one vector of which only the first `rem` REALs are in the problem (masked loads/stores). */
static inline __attribute__((always_inline)) CK_TARGET void
MAC_TAIL(const int R, ck_index K, const REAL *wre, const REAL *wim, ck_index ldw, ck_index ws, const REAL *x,
         const REAL *xs, ck_index ldx, REAL *y, ck_index ldy, int rem)
{
    const VMASK_T m = VMASK(rem);
    VT acc[MAC_R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        acc[r] = VZERO();
    for (ck_index c = 0; c < K; ++c) {
        const VT xv = VMASKLOAD(x + c * ldx, m), sv = VMASKLOAD(xs + c * ldx, m);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            acc[r] = VFMA(VBCAST(wre + r * ldw + c * ws), xv, acc[r]);
            acc[r] = VFMA(VBCAST(wim + r * ldw + c * ws), sv, acc[r]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        VMASKSTORE(y + r * ldy, m, acc[r]);
}
#endif

CK_TARGET void MAC_FN(ck_index M, ck_index K, ck_index n2, const REAL *wre, const REAL *wim, ck_index ldw,
                      ck_index ws, const REAL *x, const REAL *xs, ck_index ldx, REAL *y, ck_index ldy)
{
    ck_index t = 0;
    for (; t + MAC_NV * LANES <= n2; t += MAC_NV * LANES) {
        ck_index r = 0;
        for (; r + MAC_R <= M; r += MAC_R)
            MAC_BODY(MAC_R, MAC_NV, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy);
        for (; MAC_R > 4 && r + 4 <= M; r += 4)
            MAC_BODY(4, MAC_NV, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy);
        for (; r < M; ++r)
            MAC_BODY(1, MAC_NV, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy);
    }
    for (; t + LANES <= n2; t += LANES) {
        ck_index r = 0;
        for (; r + MAC_R <= M; r += MAC_R)
            MAC_BODY(MAC_R, 1, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy);
        for (; MAC_R > 4 && r + 4 <= M; r += 4)
            MAC_BODY(4, 1, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy);
        for (; r < M; ++r)
            MAC_BODY(1, 1, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy);
    }
#if LANES > 1
    if (t < n2) { /* fewer than LANES REALs left: one masked vector */
        ck_index r = 0;
        for (; r + MAC_R <= M; r += MAC_R)
            MAC_TAIL(MAC_R, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy, (int)(n2 - t));
        for (; MAC_R > 4 && r + 4 <= M; r += 4)
            MAC_TAIL(4, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy, (int)(n2 - t));
        for (; r < M; ++r)
            MAC_TAIL(1, K, wre + r * ldw, wim + r * ldw, ldw, ws, x + t, xs + t, ldx, y + r * ldy + t, ldy, (int)(n2 - t));
    }
#endif
}

#undef MAC_R
#undef MAC_NV
#undef MAC_BODY
#undef MAC_FN
#undef MAC_TAIL
