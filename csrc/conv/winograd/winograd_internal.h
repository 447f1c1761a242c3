/*
 * winograd_internal.h -- the pieces of algorithm "winograd" (csrc/conv/winograd/) and their contract.
 *
 * Two variants on the same 6x6 input tile, picked by the kernel size:
 *   F(4x4, 3x3): a 4x4 block of outputs of a 3x3 cross-correlation (36 products for 144 MACs: 4x);
 *   F(2x2, 5x5): a 2x2 block of outputs of a 5x5 cross-correlation (36 products for 100 MACs: 2.8x),
 *     Y = AT [ (G g G^T) .* (BT d B) ] A        (.* = element by element; B = BT^T, A = AT^T)
 * with the interpolation points 0, 1, -1, 2, -1/2 and infinity (chosen for float32 accuracy: the
 * error relative to the largest output is about 3x smaller than with Lavin's 0, +-1, +-2). BT depends
 * on the points only, so both variants share it (and the input-transform kernel); AT has the rows of
 * the powers 0 .. m-1 of the points, G the columns of the powers 0 .. r-1 scaled as below. The plain
 * reference of the transforms is the matrices below (the SIMD kernels of winograd_template.h are
 * these products written out, checked against ck_conv_winograd_reference_tile in tests):
 *
 *   BT = [ 1  3/2   -2  -3/2    1  0 ]     G = [    1     0     0 ]     AT = [ 1  1  1  1    1     0 ]
 *        [ 0   -1 -5/2  -1/2    1  0 ]         [ -1/3  -1/3  -1/3 ]          [ 0  1 -1  2 -1/2     0 ]
 *        [ 0    1  1/2  -5/2    1  0 ]         [  1/3  -1/3   1/3 ]          [ 0  1  1  4  1/4     0 ]
 *        [ 0 -1/2   -1   1/2    1  0 ]         [ 1/15  2/15  4/15 ]          [ 0  1 -1  8 -1/8     1 ]
 *        [ 0    2   -1    -2    1  0 ]         [-16/15 8/15 -4/15 ]
 *        [ 0    1  3/2    -2 -3/2  1 ]         [    0     0     1 ]
 *
 *   F(2x2, 5x5):  G5 = [     1     0     0     0     0 ]     AT2 = [ 1  1  1  1    1  0 ]
 *                      [  -1/3  -1/3  -1/3  -1/3  -1/3 ]           [ 0  1 -1  2 -1/2  1 ]
 *                      [   1/3  -1/3   1/3  -1/3   1/3 ]
 *                      [  1/15  2/15  4/15  8/15 16/15 ]
 *                      [-16/15  8/15 -4/15  2/15 -1/15 ]
 *                      [     0     0     0     0     1 ]
 *
 * Layouts (one group at a time; Cs = input channels of the group, Ks = output channels of the group,
 * "e" = one of the 36 tile elements, e = 6 i + j):
 *   xp  [n][hp][wp][Cs]  the input of a chunk of images, channels last, shifted by the padding and
 *                        zero-filled outside the input, hp = m th + r - 1, wp = m tw + r - 1 (m x m
 *                        outputs per tile, r x r kernel: every 6x6 tile, m apart, is then inside xp:
 *                        no bounds checks in the transform).
 *   V   [36][nt][Cs]     input transform of a block of nt tiles (tile t of the chunk: image t / (th tw),
 *                        tile row (t / tw) % th, tile column t % tw).
 *   U   [36][Cs][Ks]     transformed kernel of the group.
 *   M   [36][nt][Ks]     M[e] = V[e] @ U[e]: one GEMM per tile element.
 * The output transform writes y (NCHW) with the edge tiles clipped to oh x ow and adds the bias.
 *
 * Kernels: one set per ISA and dtype; the output, kernel and weight-gradient transforms once per
 * variant (names without a suffix: F(4x4, 3x3); _2x2 / _5x5: F(2x2, 5x5)). Each SIMD kernel processes a channel range whose length is a
 * multiple of its lanes (the caller sends the rest to the generic kernel). No allocation, no threads.
 */
#ifndef CK_WINOGRAD_INTERNAL_H
#define CK_WINOGRAD_INTERNAL_H

#include "cnnkern/ck_conv.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define CK_WINO_X86 1
#else
#define CK_WINO_X86 0
#endif

typedef struct ck_wino_tiles {
    ck_index m, r;   /* outputs per tile side (4 or 2) and kernel side (3 or 5): m + r - 1 = 6 */
    ck_index th, tw; /* tiles per image along rows and columns */
    ck_index hp, wp; /* rows and columns of xp: m th + r - 1, m tw + r - 1 */
    ck_index oh, ow; /* output rows and columns (edge tiles are clipped) */
    ck_index cs;     /* channels per pixel of xp (input channels of the group) = row length of V */
    ck_index ks;     /* output channels of the group = row length of M */
} ck_wino_tiles;

/* V[e * lde + (t - t0) * cs + c] for tiles t0 <= t < t0 + nt of the chunk and channels c0 <= c < c1
 * (lde = the block's tiles times cs: a block may be filled one tile per call). */
#define CK_WINO_INPUT_ARGS(T) const ck_wino_tiles *g, const T *xp, ck_index t0, ck_index nt, \
                              ck_index c0, ck_index c1, T *V, ck_index lde
/* From M[e * lde + (t - t0) * ks + k]: y[n][k][r][s] (+ bias[k]) for tiles t0 <= t < t0 + nt and channels k0 <= k < k1 of the group.
 * y points at image 0 of the chunk, channel 0 of the group; y_img = the image stride of y; bias
 * points at the group's first bias (or is NULL). */
#define CK_WINO_OUTPUT_ARGS(T) const ck_wino_tiles *g, const T *M, ck_index lde, ck_index t0, ck_index nt, \
                               ck_index k0, ck_index k1, const T *bias, T *y, ck_index y_img
/* U[e][r][q] (row length nq, element stride lde) for rows r0 <= r < r1 and columns q0 <= q < q1,
 * from the 3x3 (5x5) kernel at w + r*sr + q*sq (taps row-major; rot: taps reversed, the 180-degree
 * rotation of backward-input). */
#define CK_WINO_WEIGHT_ARGS(T) const T *w, ck_index sr, ck_index sq, int rot, ck_index r0, ck_index r1, \
                               ck_index q0, ck_index q1, ck_index nq, ck_index lde, T *U

/* The weight gradient. From dyp [n][m th][m tw][ks] (the output gradient of a chunk, channels last,
 * zero beyond oh x ow): Y[e * lde + (t - t0) * ks + k] = (A dy A^T)[e] for tiles t0 <= t < t0 + nt and
 * channels k0 <= k < k1 (ks = g->ks, the row length of dyp and of Y, as cs for V). */
#define CK_WINO_GRAD_OUTPUT_ARGS(T) const ck_wino_tiles *g, const T *dyp, ck_index t0, ck_index nt, \
                                    ck_index k0, ck_index k1, T *Y, ck_index lde
/* dw[r * sr + q * sq + tap] = (G^T dU G)[tap] from dU[e * lde + r * nq + q], rows r0 <= r < r1 and
 * columns q0 <= q < q1 (taps row-major). */
#define CK_WINO_GRAD_WEIGHT_ARGS(T) const T *dU, ck_index lde, ck_index nq, ck_index r0, ck_index r1, \
                                    ck_index q0, ck_index q1, T *dw, ck_index sr, ck_index sq

#define CK_WINO_DECLARE(isa)                                                                 \
    void ck_wino_input__##isa##_f32(CK_WINO_INPUT_ARGS(float));                              \
    void ck_wino_input__##isa##_f64(CK_WINO_INPUT_ARGS(double));                             \
    void ck_wino_output__##isa##_f32(CK_WINO_OUTPUT_ARGS(float));                            \
    void ck_wino_output__##isa##_f64(CK_WINO_OUTPUT_ARGS(double));                           \
    void ck_wino_weight__##isa##_f32(CK_WINO_WEIGHT_ARGS(float));                            \
    void ck_wino_weight__##isa##_f64(CK_WINO_WEIGHT_ARGS(double));                           \
    void ck_wino_grad_output__##isa##_f32(CK_WINO_GRAD_OUTPUT_ARGS(float));                  \
    void ck_wino_grad_output__##isa##_f64(CK_WINO_GRAD_OUTPUT_ARGS(double));                 \
    void ck_wino_grad_weight__##isa##_f32(CK_WINO_GRAD_WEIGHT_ARGS(float));                  \
    void ck_wino_grad_weight__##isa##_f64(CK_WINO_GRAD_WEIGHT_ARGS(double));                 \
    void ck_wino_output_2x2__##isa##_f32(CK_WINO_OUTPUT_ARGS(float));                        \
    void ck_wino_output_2x2__##isa##_f64(CK_WINO_OUTPUT_ARGS(double));                       \
    void ck_wino_weight_5x5__##isa##_f32(CK_WINO_WEIGHT_ARGS(float));                        \
    void ck_wino_weight_5x5__##isa##_f64(CK_WINO_WEIGHT_ARGS(double));                       \
    void ck_wino_grad_output_2x2__##isa##_f32(CK_WINO_GRAD_OUTPUT_ARGS(float));              \
    void ck_wino_grad_output_2x2__##isa##_f64(CK_WINO_GRAD_OUTPUT_ARGS(double));             \
    void ck_wino_grad_weight_5x5__##isa##_f32(CK_WINO_GRAD_WEIGHT_ARGS(float));              \
    void ck_wino_grad_weight_5x5__##isa##_f64(CK_WINO_GRAD_WEIGHT_ARGS(double));
CK_WINO_DECLARE(generic)
#if CK_WINO_X86
CK_WINO_DECLARE(avx2)
CK_WINO_DECLARE(avx512)
#endif

/* Lanes of the SIMD kernels (channels per vector). */
#define CK_WINO_LANES_AVX2_F32 8
#define CK_WINO_LANES_AVX2_F64 4
#define CK_WINO_LANES_AVX512_F32 16
#define CK_WINO_LANES_AVX512_F64 8

/* The plain reference of the transforms: ck_conv_winograd_reference_tile (cnnkern/ck_conv.h,
 * kernels_generic.c) computes y[m][m] = AT [(G g G^T) .* (BT d B)] A from the matrices above in
 * double, for r = 3 (m = 4) or 5 (m = 2). */

#endif /* CK_WINOGRAD_INTERNAL_H */
