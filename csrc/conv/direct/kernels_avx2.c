/*
 * kernels_avx2.c -- AVX2+FMA microkernels of the direct convolution (contract: direct_kernels.h).
 *
 *   ck_direct_fwd_tile_4x24__avx2_f32  4 output channels x 1..3 vectors of 8 floats  (12 ymm accumulators)
 *   ck_direct_bww_tile_4x3__avx2_f32   4 output channels x 3 (channel, tap) pairs      (12 ymm accumulators)
 *   ck_direct_fwd_tile_4x12__avx2_f64  4 output channels x 1..3 vectors of 4 doubles
 *   ck_direct_bww_tile_4x3__avx2_f64   4 output channels x 3 (channel, tap) pairs
 *   ck_direct_fwd_tile_1x64__avx2_f32, ck_direct_fwd_tile_1x32__avx2_f64   1 output channel x 1..8 vectors
 *   ck_direct_bww_tile_1x8__avx2_f32,  ck_direct_bww_tile_1x8__avx2_f64    1 output channel x 8 pairs
 *   (the 1-channel tiles serve depthwise layers, where 4 output channels per group do not exist)
 *   ck_direct_store_tile__avx2_f32 / _f64    the forward tile's store into the output rows (+ bias)
 *   ck_direct_cl_rows_6x16__avx2_f32, ck_direct_cl_rows_6x8__avx2_f64   channels in the lanes: 6 output
 *       columns x 2 vectors of output channels (12 ymm accumulators; the last odd vector 12 columns x 1),
 *       for few input channels per group (stems)
 *   ck_direct_cl_store__avx2_f32 / _f64      its store: rows of [column][channel] transposed into the planes (+ bias)
 *
 * IN/OUT, tile and padding rules: direct_kernels.h. Unaligned loads/stores, no workspace, no threads.
 * Compiled with the target of cnnkern/ck_simd_avx2.h only, so the file builds without -m flags; the
 * operator calls these only when ck_cpu_isa() >= CK_ISA_AVX2.
 */
#include "direct_kernels.h"

#if CK_DIRECT_X86

#include "cnnkern/ck_simd_avx2.h"

#define OCB 4
#define NV_MAX 3
#define BK 4
#define BT 3
#define NV1_MAX 8
#define BT1 8

/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define FWD_TILE ck_direct_fwd_tile_4x24__avx2_f32
#define FWD_BODY ck_direct_fwd_body_4x24__avx2_f32
#define BWW_TILE ck_direct_bww_tile_4x3__avx2_f32
#define BWW_BODY ck_direct_bww_body_4x3__avx2_f32
#define FWD1_TILE ck_direct_fwd_tile_1x64__avx2_f32
#define BWW1_TILE ck_direct_bww_tile_1x8__avx2_f32
#define STORE_TILE ck_direct_store_tile__avx2_f32
#define CL_ROWS ck_direct_cl_rows_6x16__avx2_f32
#define CL_BODY ck_direct_cl_body_6x16__avx2_f32
#define CL1_BODY ck_direct_cl_body_12x8__avx2_f32
#define CL_STORE ck_direct_cl_store__avx2_f32
#include "direct_kernels_simd_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define FWD_TILE ck_direct_fwd_tile_4x12__avx2_f64
#define FWD_BODY ck_direct_fwd_body_4x12__avx2_f64
#define BWW_TILE ck_direct_bww_tile_4x3__avx2_f64
#define BWW_BODY ck_direct_bww_body_4x3__avx2_f64
#define FWD1_TILE ck_direct_fwd_tile_1x32__avx2_f64
#define BWW1_TILE ck_direct_bww_tile_1x8__avx2_f64
#define STORE_TILE ck_direct_store_tile__avx2_f64
#define CL_ROWS ck_direct_cl_rows_6x8__avx2_f64
#define CL_BODY ck_direct_cl_body_6x8__avx2_f64
#define CL1_BODY ck_direct_cl_body_12x4__avx2_f64
#define CL_STORE ck_direct_cl_store__avx2_f64
#include "direct_kernels_simd_template.h"

#endif /* CK_DIRECT_X86 */
