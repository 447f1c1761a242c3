/*
 * kernels_avx512.c -- AVX-512 (F, VL, BW, DQ) microkernels of the direct convolution
 * (contract: direct_kernels.h).
 *
 *   ck_direct_fwd_tile_8x48__avx512_f32  8 output channels x 1..3 vectors of 16 floats (24 zmm accumulators)
 *   ck_direct_bww_tile_4x6__avx512_f32   4 output channels x 6 (channel, tap) pairs      (24 zmm accumulators)
 *   ck_direct_fwd_tile_8x24__avx512_f64  8 output channels x 1..3 vectors of 8 doubles
 *   ck_direct_bww_tile_4x6__avx512_f64   4 output channels x 6 (channel, tap) pairs
 *   ck_direct_fwd_tile_1x128__avx512_f32, ck_direct_fwd_tile_1x64__avx512_f64   1 output channel x 1..8 vectors
 *   ck_direct_bww_tile_1x8__avx512_f32,   ck_direct_bww_tile_1x8__avx512_f64    1 output channel x 8 pairs
 *   (the 1-channel tiles serve depthwise layers, where 8 output channels per group do not exist)
 *   ck_direct_store_tile__avx512_f32 / _f64  the forward tile's store into the output rows (+ bias)
 *
 * IN/OUT, tile and padding rules: direct_kernels.h. Unaligned loads/stores, no workspace, no threads.
 * Compiled with the target of cnnkern/ck_simd_avx512.h only, so the file
 * builds without -m flags; the operator calls these only when ck_cpu_isa() >= CK_ISA_AVX512.
 *
 * Default on AVX-512 CPUs since they were checked on one (AMD Zen 5, 2-core VM shared with other
 * jobs): the test suite and tests/test_isa_dispatch.py pass, and benchmarks/isa_ab.py (AVX2 and
 * AVX-512 interleaved per call in one process, medians) gives AVX2 time / AVX-512 time over the 14
 * standard layers x 3 passes: geometric mean 1.59 (float32, 2 threads), 1.57 (float64, 2 threads),
 * 1.63 (float32, 1 thread); 3x3 forward/bwd_input ~2.0, bwd_weight 1.1-1.7, 1x1 bwd_weight and
 * depthwise forward ~1.0 (0.99 lowest, within the noise).
 */
#include "direct_kernels.h"

#if CK_DIRECT_X86

#include "cnnkern/ck_simd_avx512.h"
#define OCB 8
#define NV_MAX 3
#define BK 4
#define BT 6
#define NV1_MAX 8
#define BT1 8

/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define FWD_TILE ck_direct_fwd_tile_8x48__avx512_f32
#define FWD_BODY ck_direct_fwd_body_8x48__avx512_f32
#define BWW_TILE ck_direct_bww_tile_4x6__avx512_f32
#define BWW_BODY ck_direct_bww_body_4x6__avx512_f32
#define FWD1_TILE ck_direct_fwd_tile_1x128__avx512_f32
#define BWW1_TILE ck_direct_bww_tile_1x8__avx512_f32
#define STORE_TILE ck_direct_store_tile__avx512_f32
#include "direct_kernels_simd_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define FWD_TILE ck_direct_fwd_tile_8x24__avx512_f64
#define FWD_BODY ck_direct_fwd_body_8x24__avx512_f64
#define BWW_TILE ck_direct_bww_tile_4x6__avx512_f64
#define BWW_BODY ck_direct_bww_body_4x6__avx512_f64
#define FWD1_TILE ck_direct_fwd_tile_1x64__avx512_f64
#define BWW1_TILE ck_direct_bww_tile_1x8__avx512_f64
#define STORE_TILE ck_direct_store_tile__avx512_f64
#include "direct_kernels_simd_template.h"

#endif /* CK_DIRECT_X86 */
