/*
 * depthwise_kernels.h -- the row microkernels of the depthwise operator, listed once (internal header).
 *
 * Two kernels per ISA and dtype. Both walk output rows whose input rows were packed by the operator
 * (zero padding, W phases and halo already in the packed rows), so they do no bounds checks; the
 * columns are in the SIMD lanes and each tap is one unaligned load at a fixed offset (the SIMD
 * kernels' 3x3 unit-stride bodies load each packed input row once for all the rows it feeds).
 *
 * 1. fwd_rows   y[r*y_rs + j] = bias + sum_{t < ntap} wt[t] * in[r*in_rs + toff[t] + j]
 *               for r < nrows, j < ow (OUT, overwritten; nothing past column ow-1 is written).
 *               Reads in[] up to r*in_rs + toff[t] + roundup(ow, LANES) - 1 (the caller pads).
 *               The sum runs over t in order from bias: the result does not depend on the blocking.
 * 2. bww_rows   acc[t*LANES + l] += sum_{r < nrows} sum_{j < ow, j = l mod LANES}
 *                                     dy[r*dy_rs + j] * in[r*in_rs + toff[t] + j]
 *               for t < ntap <= BWW_MAXT (IN/OUT acc; LANES partial sums per tap, reduced by the
 *               operator in a fixed order). Reads dy[] only below column ow, in[] as fwd_rows.
 *
 * 3. pack_rows  dst[r*Jp + j] = src[r*src_rs + j + off] if 0 <= j + off < n, else 0, for r < nrows,
 *               j < Jp (Jp a multiple of LANES; off may be negative): the unit-stride packing of the
 *               operator (zero halo included), whole vectors with masked loads at the row ends.
 *
 * 4. fwd3u      (AVX2 float32 only; NULL elsewhere) fwd_rows for a 3x3 window at unit stride and
 *               dilation read from the unpacked input plane: y[r*y_rs + j] = bias + sum_{kh, kw} wt[kh*3 + kw] *
 *               X(ih0 + r + kh, j - pl + kw) for r < nrows, j < ow, X = plane[ih*IW + iw] inside the
 *               IH x IW image, else 0 (rows outside read zrow, a zero row valid from zrow - max(pl, 0)
 *               to zrow + IW + max(pr, 0) + 2*LANES). Row-end vectors load whole vectors across the
 *               row's ends and zero the lanes outside: the caller guarantees max(pl, 0) readable
 *               elements before the plane and max(pr, 0) + LANES after it. Same terms in the same order
 *               as fwd_rows on the packed rows: the same bits.
 *
 * Kernels hold no state: thread-safe. ISA kernels are compiled with __attribute__((target(...))) and
 * only called after ck_cpu_isa() said the CPU has that ISA.
 * List columns: ISA, LANES, fwd_rows, bww_rows, pack_rows, fwd3u. Best ISA first; the generic entry is last.
 */
#ifndef CK_DEPTHWISE_KERNELS_H
#define CK_DEPTHWISE_KERNELS_H

#include "cnnkern/ck_common.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define CK_DEPTHWISE_X86 1
#else
#define CK_DEPTHWISE_X86 0
#endif

/* Taps per bww_rows call (accumulators held in registers: 12 + 2 fit the 16 ymm of AVX2). */
#define CK_DEPTHWISE_BWW_MAXT 12
/* Largest LANES over the list (size of the operator's accumulator arrays). */
#define CK_DEPTHWISE_MAX_LANES 16

#if CK_DEPTHWISE_X86
#define CK_DEPTHWISE_F32_KERNELS_X86(X)                                                             \
    X(CK_ISA_AVX512, 16, ck_depthwise_fwd_rows__avx512_f32, ck_depthwise_bww_rows__avx512_f32,  \
      ck_depthwise_pack_rows__avx512_f32, NULL)                                                   \
    X(CK_ISA_AVX2, 8, ck_depthwise_fwd_rows__avx2_f32, ck_depthwise_bww_rows__avx2_f32,  \
      ck_depthwise_pack_rows__avx2_f32, ck_depthwise_fwd3u_rows__avx2_f32)
#define CK_DEPTHWISE_F64_KERNELS_X86(X)                                                             \
    X(CK_ISA_AVX512, 8, ck_depthwise_fwd_rows__avx512_f64, ck_depthwise_bww_rows__avx512_f64,  \
      ck_depthwise_pack_rows__avx512_f64, NULL)                                                   \
    X(CK_ISA_AVX2, 4, ck_depthwise_fwd_rows__avx2_f64, ck_depthwise_bww_rows__avx2_f64,  \
      ck_depthwise_pack_rows__avx2_f64, NULL)
#else
#define CK_DEPTHWISE_F32_KERNELS_X86(X)
#define CK_DEPTHWISE_F64_KERNELS_X86(X)
#endif

#define CK_DEPTHWISE_F32_KERNELS(X)                                                                 \
    CK_DEPTHWISE_F32_KERNELS_X86(X)                                                                 \
    X(CK_ISA_GENERIC, 4, ck_depthwise_fwd_rows__generic_f32, ck_depthwise_bww_rows__generic_f32,  \
      ck_depthwise_pack_rows__generic_f32, NULL)
#define CK_DEPTHWISE_F64_KERNELS(X)                                                                 \
    CK_DEPTHWISE_F64_KERNELS_X86(X)                                                                 \
    X(CK_ISA_GENERIC, 4, ck_depthwise_fwd_rows__generic_f64, ck_depthwise_bww_rows__generic_f64,  \
      ck_depthwise_pack_rows__generic_f64, NULL)

#define CK_DEPTHWISE_DECLARE(REAL, fwd, bww, pack)                                                  \
    void fwd(ck_index nrows, const REAL *in, ck_index in_rs, ck_index ntap, const ck_index *toff,   \
             const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs);                       \
    void bww(ck_index nrows, const REAL *dy, ck_index dy_rs, ck_index ow, const REAL *in,           \
             ck_index in_rs, ck_index ntap, const ck_index *toff, REAL *acc);                       \
    void pack(REAL *dst, ck_index Jp, const REAL *src, ck_index src_rs, ck_index nrows, ck_index n, \
              ck_index off);
#define CK_DEPTHWISE_DECLARE_F32(isa, lanes, fwd, bww, pack, fwd3u) CK_DEPTHWISE_DECLARE(float, fwd, bww, pack)
#define CK_DEPTHWISE_DECLARE_F64(isa, lanes, fwd, bww, pack, fwd3u) CK_DEPTHWISE_DECLARE(double, fwd, bww, pack)
CK_DEPTHWISE_F32_KERNELS(CK_DEPTHWISE_DECLARE_F32)
CK_DEPTHWISE_F64_KERNELS(CK_DEPTHWISE_DECLARE_F64)
#define CK_DEPTHWISE_DECLARE_FWD3U(REAL, fwd3u)                                                     \
    void fwd3u(ck_index nrows, const REAL *plane, const REAL *zrow, ck_index IH, ck_index IW, ck_index ih0, \
               ck_index pl, const REAL *wt, REAL bias, ck_index ow, REAL *y, ck_index y_rs);
#if CK_DEPTHWISE_X86
CK_DEPTHWISE_DECLARE_FWD3U(float, ck_depthwise_fwd3u_rows__avx2_f32)
#endif

/* 1 if the taps are a 3x3 window at unit stride and dilation: toff[kh*3 + kw] = toff[0] + kh*in_rs + kw
 * (the SIMD kernels' register-blocked bodies). */
static inline int ck_depthwise_is_3x3(ck_index ntap, const ck_index *toff, ck_index in_rs)
{
    if (ntap != 9)
        return 0;
    for (int t = 0; t < 9; ++t)
        if (toff[t] != toff[0] + (t / 3) * in_rs + t % 3)
            return 0;
    return 1;
}

#define CK_DEPTHWISE_KTAB(NAME, REAL)                                                               \
    typedef struct NAME {                                                                           \
        ck_isa isa;                                                                                 \
        int lanes;                                                                                  \
        void (*fwd)(ck_index, const REAL *, ck_index, ck_index, const ck_index *, const REAL *, REAL, \
                    ck_index, REAL *, ck_index);                                                    \
        void (*bww)(ck_index, const REAL *, ck_index, ck_index, const REAL *, ck_index, ck_index,   \
                    const ck_index *, REAL *);                                                      \
        void (*pack)(REAL *, ck_index, const REAL *, ck_index, ck_index, ck_index, ck_index);       \
        void (*fwd3u)(ck_index, const REAL *, const REAL *, ck_index, ck_index, ck_index, ck_index,     \
                      const REAL *, REAL, ck_index, REAL *, ck_index);                              \
    } NAME;
CK_DEPTHWISE_KTAB(ck_depthwise_kernels_f32, float)
CK_DEPTHWISE_KTAB(ck_depthwise_kernels_f64, double)


#endif /* CK_DEPTHWISE_KERNELS_H */
