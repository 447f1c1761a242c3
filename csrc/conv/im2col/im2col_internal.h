/*
 * im2col_internal.h -- the tiling plan shared by the im2col operators (csrc/conv/im2col/ only).
 *
 * Per group g the convolution is a GEMM over the column matrix
 *     col[Cg * kvol][P]      row r = (c, t0, t1, t2), column o = flattened output pixel,
 *     col[r][o] = x[n][g*Cg + c][o*stride + t*dilation - pad_before]   (0 outside the input)
 * The column matrix is never built whole: it is built for one image and a tile of `tile` consecutive
 * output pixels at a time, in a buffer of K * tile elements per worker (K = Cg * kvol).
 */
#ifndef CK_IM2COL_INTERNAL_H
#define CK_IM2COL_INTERNAL_H

#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_gemm.h"

typedef struct im2col_plan {
    ck_index Cg, Kg;     /* input / output channels per group */
    ck_index kvol;       /* kernel volume */
    ck_index K;          /* GEMM reduction length of the forward: Cg * kvol */
    ck_index P;          /* output pixels per image and channel */
    ck_index in_plane;   /* input pixels per image and channel */
    int pointwise;       /* 1x1(x1), stride 1, no padding: the input IS the column matrix */
    int team;            /* workers of the tile loop */
    int blas_threads;    /* the BLAS's threads during the call: 1, or num_threads with threading 0 */
    ck_index tile;       /* output pixels per column tile (1 <= tile <= P) */
    ck_index ntiles;     /* ceil(P / tile) */
    ck_index rows;       /* rows of the column matrix per work item (K, or a block: bwd_weight, fwd K blocks) */
    ck_index row_blocks; /* ceil(K / rows) */
    ck_index chunks;     /* bwd_weight: the batch is summed in this many fixed chunks of images (>= 1) */
    ck_index cblocks;    /* bwd_input (not pointwise): each image's input channels in this many blocks */
    ck_index mblocks;    /* fwd: each image's output channels (per group) in this many blocks */
    ck_index kblocks;    /* fwd: the reduction (column-matrix rows) in this many blocks of `rows` */
    size_t col_bytes;    /* column buffer per worker */
    size_t extra_bytes;  /* other workspace: the partial sums (bwd_weight chunks 1.., fwd K blocks 1..) */
} im2col_plan;

void ck_im2col_make_plan(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size, im2col_plan *pl);

#endif /* CK_IM2COL_INTERNAL_H */
