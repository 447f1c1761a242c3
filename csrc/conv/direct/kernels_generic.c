/*
 * kernels_generic.c -- portable C microkernels of the direct convolution (contract: direct_kernels.h).
 *
 *   ck_direct_fwd_tile_4x16__generic_f32 / _f64   4 output channels x 1..4 groups of 4 columns
 *   ck_direct_bww_tile_4x3__generic_f32  / _f64   4 output channels x 3 (channel, tap) pairs
 *   ck_direct_fwd_tile_1x32__generic_f32 / _f64   1 output channel x 1..8 groups of 4 columns
 *   ck_direct_bww_tile_1x8__generic_f32  / _f64   1 output channel x 8 (channel, tap) pairs
 *   ck_direct_store_tile__generic_f32    / _f64   the forward tile's store into the output rows (+ bias)
 *
 * The fallback on any CPU and the reference shape of the SIMD kernels. No workspace, no threads.
 */
#include "direct_kernels.h"

#define REAL float
#define FWD_TILE ck_direct_fwd_tile_4x16__generic_f32
#define BWW_TILE ck_direct_bww_tile_4x3__generic_f32
#define FWD1_TILE ck_direct_fwd_tile_1x32__generic_f32
#define BWW1_TILE ck_direct_bww_tile_1x8__generic_f32
#define STORE_TILE ck_direct_store_tile__generic_f32
#define FWD_BODY ck_direct_fwd_body_4x16__generic_f32
#define BWW_BODY ck_direct_bww_body_4x3__generic_f32
#include "direct_kernels_generic_template.h"

#define REAL double
#define FWD_TILE ck_direct_fwd_tile_4x16__generic_f64
#define BWW_TILE ck_direct_bww_tile_4x3__generic_f64
#define FWD1_TILE ck_direct_fwd_tile_1x32__generic_f64
#define BWW1_TILE ck_direct_bww_tile_1x8__generic_f64
#define STORE_TILE ck_direct_store_tile__generic_f64
#define FWD_BODY ck_direct_fwd_body_4x16__generic_f64
#define BWW_BODY ck_direct_bww_body_4x3__generic_f64
#include "direct_kernels_generic_template.h"
