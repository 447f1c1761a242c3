/*
 * direct_kernels.h -- the microkernels of the direct convolution, listed once (internal header).
 *
 * Three kinds of kernel (two microkernels and the forward tile's store), each written once per ISA
 * and dtype. Every kernel in this list is declared from it, and conv_direct.c builds its dispatch
 * table from it (first entry whose ISA the CPU supports wins), so adding a kernel means adding one
 * line here and its definition.
 *
 * 1. fwd tile  (used by forward and backward-input: both are a correlation over packed rows)
 *      void fwd(ck_index nc, ck_index ntap,
 *               const REAL *in, ck_index ics, const ck_index xoff[ntap],
 *               const REAL *w,  ck_index wcs, const ck_index woff[ntap],
 *               int nv, REAL out[OCB][nv * LANES]);
 *    OUT (overwritten):
 *      out[j][col] = sum_{c < nc} sum_{t < ntap} w[c*wcs + woff[t] + j] * in[c*ics + xoff[t] + col]
 *      for j < OCB, col < nv*LANES, 1 <= nv <= NV_MAX. No alignment assumed. Reads in[] up to
 *      c*ics + xoff[t] + nv*LANES - 1 and w[] up to c*wcs + woff[t] + OCB - 1 (the caller pads).
 *      Tile = OCB output channels x (nv * LANES) output columns; accumulators stay in registers.
 *
 * 2. bww tile  (backward-weight: a block of dot products)
 *      void bww(ck_index nr, ck_index ncol,
 *               const REAL *dy, ck_index dys, ck_index dyrs,
 *               const REAL *const xr[nxr], int nxr, ck_index xrs, REAL res[BK][BT]);
 *    OUT (overwritten):
 *      res[kb][tb] = sum_{r < nr} sum_{col < ncol} dy[kb*dys + r*dyrs + col] * xr[tb][r*xrs + col]
 *      for kb < BK, tb < nxr (1 <= nxr <= BT; res keeps row stride BT); ncol is a multiple of LANES.
 *      Accumulation in REAL.
 *
 * 3. store  (the forward tile's epilogue: from the flattened columns into the output planes)
 *      void st(const REAL out[nk][nv * LANES], int nv, ck_index nk, const REAL *bias, REAL *y,
 *              ck_index plane, ck_index J, ck_index OW, ck_index col0, ck_index ncols);
 *    OUT: for j < nk and flattened column q in [col0, col0 + ncols) with ox = q % J < OW:
 *      y[j*plane + (q / J)*OW + ox] = out[j*nv*LANES + q - col0] + (bias ? bias[j] : 0)
 *      (one rounding: the same bits on every ISA). Nothing else of y is written. ncols <= nv*LANES.
 *
 * 4. cl  (channels in the lanes: the forward of groups with few input channels, e.g. an RGB stem;
 *          AVX2 only, NULL elsewhere)
 *      void cl(ck_index nc, ck_index KH, ck_index KW, const REAL *in, ck_index ics, ck_index ihs,
 *              ck_index sw, ck_index dw, const REAL *w, ck_index Kp, ck_index OW, REAL *out);
 *    OUT (overwritten): for ox < OW, k < Kp (Kp a multiple of LANES):
 *      out[ox*Kp + k] = sum_{c < nc} sum_{kh < KH} sum_{kw < KW} w[((c*KH + kh)*KW + kw)*Kp + k]
 *                                                              * in[c*ics + kh*ihs + ox*sw + kw*dw]
 *    one fused multiply-add chain from zero in (c, kh, kw) order: the fwd tile's terms in its order
 *    (same bits). Reads in[] at exactly those offsets (the caller packs the padded rows).
 * 5. clst (cl's store; AVX2 only)
 *      void clst(const REAL *out, ck_index Kp, ck_index nk, ck_index OW, const REAL *bias, REAL *y,
 *                ck_index plane);
 *    OUT: y[k*plane + ox] = out[ox*Kp + k] + (bias ? bias[k] : 0) for k < nk, ox < OW (one rounding,
 *      as st). Nothing else of y is written.
 *
 * Kernels hold no state and touch no globals: thread-safe. ISA kernels are compiled with
 * __attribute__((target(...))) and are only called after ck_cpu_isa() said the CPU has that ISA.
 *
 * Each ISA also has one-output-channel variants (OCB = 1 / BK = 1) with the same contract, "fwd1"
 * (1 <= nv <= NV1_MAX) and "bww1" (BT1 pairs), used when a group has too few output channels to fill
 * OCB / BK (depthwise layers and small channel multipliers).
 *
 * List columns: ISA, LANES, OCB, NV_MAX, NV1_MAX, BK, BT, BT1, fwd, fwd1, bww, bww1, st, cl, clst. Best ISA first.
 * Tile names: fwd_tile_<OCB>x<NV_MAX*LANES>, fwd_tile_1x<NV1_MAX*LANES>, bww_tile_<BK>x<BT>, bww_tile_1x<BT1>.
 */
#ifndef CK_DIRECT_KERNELS_H
#define CK_DIRECT_KERNELS_H

#include "cnnkern/ck_common.h"

/* The sum of the fwd tile's contract, for the kernels' bodies: STEP(ip, wp) for every channel c < nc and
 * tap t < ntap, with ip = in + c*ics + xoff[t] and wp = w + c*wcs + woff[t]. */
#define CK_DIRECT_FOR_TAPS(nc, ntap, in, ics, xoff, w, wcs, woff, STEP)                             \
    for (ck_index c_ = 0; c_ < (nc); ++c_) {                                                        \
        const REAL *ic_ = (in) + c_ * (ics), *wc_ = (w) + c_ * (wcs);                               \
        for (ck_index t_ = 0; t_ < (ntap); ++t_) {                                                  \
            const REAL *ip_ = ic_ + (xoff)[t_], *wp_ = wc_ + (woff)[t_];                            \
            STEP(ip_, wp_);                                                                         \
        }                                                                                           \
    }

#if defined(__x86_64__) && defined(__GNUC__)
#define CK_DIRECT_X86 1
#else
#define CK_DIRECT_X86 0
#endif

#if CK_DIRECT_X86
#define CK_DIRECT_F32_KERNELS_X86(X)                                                                \
    X(CK_ISA_AVX512, 16, 8, 3, 8, 4, 6, 8,                                                          \
      ck_direct_fwd_tile_8x48__avx512_f32, ck_direct_fwd_tile_1x128__avx512_f32,                    \
      ck_direct_bww_tile_4x6__avx512_f32, ck_direct_bww_tile_1x8__avx512_f32,                       \
      ck_direct_store_tile__avx512_f32, NULL, NULL)                                                 \
    X(CK_ISA_AVX2, 8, 4, 3, 8, 4, 3, 8,                                                             \
      ck_direct_fwd_tile_4x24__avx2_f32, ck_direct_fwd_tile_1x64__avx2_f32,                         \
      ck_direct_bww_tile_4x3__avx2_f32, ck_direct_bww_tile_1x8__avx2_f32,                           \
      ck_direct_store_tile__avx2_f32, ck_direct_cl_rows_6x16__avx2_f32, ck_direct_cl_store__avx2_f32)
#define CK_DIRECT_F64_KERNELS_X86(X)                                                                \
    X(CK_ISA_AVX512, 8, 8, 3, 8, 4, 6, 8,                                                           \
      ck_direct_fwd_tile_8x24__avx512_f64, ck_direct_fwd_tile_1x64__avx512_f64,                     \
      ck_direct_bww_tile_4x6__avx512_f64, ck_direct_bww_tile_1x8__avx512_f64,                       \
      ck_direct_store_tile__avx512_f64, NULL, NULL)                                                 \
    X(CK_ISA_AVX2, 4, 4, 3, 8, 4, 3, 8,                                                             \
      ck_direct_fwd_tile_4x12__avx2_f64, ck_direct_fwd_tile_1x32__avx2_f64,                         \
      ck_direct_bww_tile_4x3__avx2_f64, ck_direct_bww_tile_1x8__avx2_f64,                           \
      ck_direct_store_tile__avx2_f64, ck_direct_cl_rows_6x8__avx2_f64, ck_direct_cl_store__avx2_f64)
#else
#define CK_DIRECT_F32_KERNELS_X86(X)
#define CK_DIRECT_F64_KERNELS_X86(X)
#endif

#define CK_DIRECT_F32_KERNELS(X)                                                                    \
    CK_DIRECT_F32_KERNELS_X86(X)                                                                    \
    X(CK_ISA_GENERIC, 4, 4, 4, 8, 4, 3, 8,                                                          \
      ck_direct_fwd_tile_4x16__generic_f32, ck_direct_fwd_tile_1x32__generic_f32,                   \
      ck_direct_bww_tile_4x3__generic_f32, ck_direct_bww_tile_1x8__generic_f32,                     \
      ck_direct_store_tile__generic_f32, NULL, NULL)
#define CK_DIRECT_F64_KERNELS(X)                                                                    \
    CK_DIRECT_F64_KERNELS_X86(X)                                                                    \
    X(CK_ISA_GENERIC, 4, 4, 4, 8, 4, 3, 8,                                                          \
      ck_direct_fwd_tile_4x16__generic_f64, ck_direct_fwd_tile_1x32__generic_f64,                   \
      ck_direct_bww_tile_4x3__generic_f64, ck_direct_bww_tile_1x8__generic_f64,                     \
      ck_direct_store_tile__generic_f64, NULL, NULL)

/* Largest BK / BT over the list (sizes of the callers' small stack arrays). */
#define CK_DIRECT_MAX_BK 4
#define CK_DIRECT_MAX_BT 8

/* The kernel types of one element type R, dtype token dt: ck_direct_fwd_<dt>_fn (fwd, fwd1),
 * ck_direct_bww_<dt>_fn (bww, bww1) and the list row ck_direct_kernels_<dt>. */
#define CK_DIRECT_TYPES(R, dt)                                                                      \
    typedef void ck_direct_fwd_##dt##_fn(ck_index nc, ck_index ntap, const R *in, ck_index ics,     \
                                         const ck_index *xoff, const R *w, ck_index wcs,            \
                                         const ck_index *woff, int nv, R *out);                     \
    typedef void ck_direct_bww_##dt##_fn(ck_index nr, ck_index ncol, const R *dy, ck_index dys,     \
                                         ck_index dyrs, const R *const *xr, int nxr, ck_index xrs,  \
                                         R *res);                                                   \
    typedef void ck_direct_store_##dt##_fn(const R *out, int nv, ck_index nk, const R *bias, R *y,  \
                                           ck_index plane, ck_index J, ck_index OW, ck_index col0,  \
                                           ck_index ncols);                                         \
    typedef void ck_direct_cl_##dt##_fn(ck_index nc, ck_index KH, ck_index KW, const R *in, ck_index ics, \
                                        ck_index ihs, ck_index sw, ck_index dw, const R *w, ck_index Kp,  \
                                        ck_index OW, R *out);                                          \
    typedef void ck_direct_clst_##dt##_fn(const R *out, ck_index Kp, ck_index nk, ck_index OW,       \
                                          const R *bias, R *y, ck_index plane);                      \
    typedef struct ck_direct_kernels_##dt {                                                         \
        ck_isa isa;                                                                                 \
        int lanes, ocb, nv_max, nv1_max, bk, bt, bt1;                                               \
        ck_direct_fwd_##dt##_fn *fwd, *fwd1;                                                        \
        ck_direct_bww_##dt##_fn *bww, *bww1;                                                        \
        ck_direct_store_##dt##_fn *st;                                                              \
        ck_direct_cl_##dt##_fn *cl;                                                                 \
        ck_direct_clst_##dt##_fn *clst;                                                             \
        const char *fwd_name, *fwd1_name, *bww_name, *bww1_name;                                    \
    } ck_direct_kernels_##dt;
CK_DIRECT_TYPES(float, f32)
CK_DIRECT_TYPES(double, f64)

#define CK_DIRECT_DECLARE_F32(isa, lanes, ocb, nvmax, nv1max, bk, bt, bt1, fwd, fwd1, bww, bww1, st, cl, clst)    \
    ck_direct_fwd_f32_fn fwd, fwd1;                                                                 \
    ck_direct_bww_f32_fn bww, bww1;                                                                 \
    ck_direct_store_f32_fn st;
#define CK_DIRECT_DECLARE_F64(isa, lanes, ocb, nvmax, nv1max, bk, bt, bt1, fwd, fwd1, bww, bww1, st, cl, clst)    \
    ck_direct_fwd_f64_fn fwd, fwd1;                                                                 \
    ck_direct_bww_f64_fn bww, bww1;                                                                 \
    ck_direct_store_f64_fn st;

CK_DIRECT_F32_KERNELS(CK_DIRECT_DECLARE_F32)
CK_DIRECT_F64_KERNELS(CK_DIRECT_DECLARE_F64)
#if CK_DIRECT_X86 /* cl / clst exist for AVX2 only (NULL in the other rows) */
ck_direct_cl_f32_fn ck_direct_cl_rows_6x16__avx2_f32;
ck_direct_clst_f32_fn ck_direct_cl_store__avx2_f32;
ck_direct_cl_f64_fn ck_direct_cl_rows_6x8__avx2_f64;
ck_direct_clst_f64_fn ck_direct_cl_store__avx2_f64;
#endif

#define CK_DIRECT_TABLE_ENTRY(isa, lanes, ocb, nvmax, nv1max, bk, bt, bt1, fwd, fwd1, bww, bww1, st, cl, clst) \
    {isa, lanes, ocb, nvmax, nv1max, bk, bt, bt1, fwd, fwd1, bww, bww1, st, cl, clst, #fwd, #fwd1, #bww, #bww1},

#endif /* CK_DIRECT_KERNELS_H */
