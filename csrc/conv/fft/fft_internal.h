/* fft_internal.h -- the plan of the fft convolution operator, shared by conv_fft.c (plans, tiling,
 * workspace) and conv_fft_ops.c (the dtype-specific passes). Not part of the public contract. */
#ifndef CK_CONV_FFT_INTERNAL_H
#define CK_CONV_FFT_INTERNAL_H

#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_interrupt.h"
#include "cnnkern/ck_fft.h"

#include <stddef.h>
#include <stdint.h>

struct ck_conv_fft_plan {
    ck_conv_params user;     /* the caller's convolution */
    ck_conv_params p;        /* the forward-type correlation this plan computes (bwd_input: the derived one) */
    ck_conv_direction dir;
    ck_index n[3];           /* transform size per axis (axis 2 is the real axis, even) */
    ck_index m[3];           /* outputs per tile per axis (the whole output when ntiles is 1) */
    ck_index ntiles[3];
    ck_index tiles;          /* ntiles[0] * ntiles[1] * ntiles[2] */
    ck_index nreal;          /* n[0] * n[1] * n[2] */
    ck_index nfreq;          /* n[0] * n[1] * (n[2] / 2 + 1) */
    ck_index group;          /* images per transform call (lanes), from the sizes only */
    ck_fft_plan *fft;
};

/* Tiles (of all images) per pass, from the sizes and the workspace limit only (never the threads). */
ck_index ck_conv_fft_block_tiles(const ck_conv_fft_plan *pl, size_t elem_size);
/* Kernels per chunk of the GEMM-form kernel spectrum (DFT_SPECTRUM in conv_fft_template.h), 0 when
 * the plan uses the lane transforms for it (3-D, or the GEMM form would cost much more). */
ck_index ck_conv_fft_dft_chunk(const ck_conv_fft_plan *pl);
/* 1 if the forward products of blocks of Tb tiles use the own kernel (conv_fft_mac.c), 0: the BLAS. */
int ck_conv_fft_own_mac(const ck_conv_fft_plan *pl, ck_index Tb);
/* Output channels per chunk of the fused plain run (FUSED_RUN), 0 when a plain call does not fuse. */
ck_index ck_conv_fft_fused_channels(const ck_conv_fft_plan *pl, size_t elem_size);
/* Tiling of plain forward / bwd_input calls forced by CNNKERN_FFT_TILE="n0,n1,n2" (the 3-D form of
 * ConvPlan's fft_tile: 0 auto, -1 whole, N a tile size; for refitting the cost model,
 * benchmarks/fit_fft_tiling.py): 1 and tile[] filled when set, well-formed and usable for this problem
 * (valid for ConvPlan's fft_tile and no larger than the whole image), else 0: never an error. */
int ck_conv_fft_env_tile(const ck_conv_params *p, ck_conv_direction dir, ck_index tile[3]);
/* Complex elements from one frequency's kernel spectrum to the next's (>= C_out C_in/g). */
ck_index ck_conv_fft_spec_ld(const ck_conv_fft_plan *pl);
/* (cos, sin)(2 pi j / n) in REAL (elem_size 4 or 8), correctly rounded (long double, exact on the axes):
 * the GEMM-form spectrum's tables, so that e.g. cos(2 pi / 3) is exactly -0.5 as in the radix-3 FFT. */
void ck_conv_fft_unit(ck_index j, ck_index n, size_t elem_size, void *c, void *s);
/* REALs of one worker's buffers. */
ck_index ck_conv_fft_thread_elems(const ck_conv_fft_plan *pl);

/* Per-frequency complex products (contract: conv_fft_mac.c). */
void ck_conv_fft_mac_f32(ck_index M, ck_index K, ck_index n2, const float *wre, const float *wim, ck_index ldw,
                         ck_index ws, const float *x, const float *xs, ck_index ldx, float *y, ck_index ldy);
void ck_conv_fft_mac_f64(ck_index M, ck_index K, ck_index n2, const double *wre, const double *wim, ck_index ldw,
                         ck_index ws, const double *x, const double *xs, ck_index ldx, double *y, ck_index ldy);

#endif
