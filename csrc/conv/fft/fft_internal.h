/* fft_internal.h -- the plan of the fft convolution operator, shared by conv_fft.c (plans, tiling,
 * workspace) and conv_fft_ops.c (the dtype-specific passes). Not part of the public contract. */
#ifndef CK_CONV_FFT_INTERNAL_H
#define CK_CONV_FFT_INTERNAL_H

#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_fft.h"

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
/* REALs of one worker's buffers. */
ck_index ck_conv_fft_thread_elems(const ck_conv_fft_plan *pl);

#endif
