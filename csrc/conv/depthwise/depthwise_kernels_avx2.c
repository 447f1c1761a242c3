/*
 * depthwise_kernels_avx2.c -- AVX2+FMA row kernels of the depthwise operator (contract:
 * depthwise_kernels.h): 8 floats / 4 doubles per vector, row tails by vmaskmov.
 * Compiled with the target of cnnkern/ck_simd_avx2.h only, so the file builds without -m flags.
 */
#include "depthwise_kernels.h"

#if CK_DEPTHWISE_X86
#include "cnnkern/ck_simd_avx2.h"

/* 3x3 body: 2 rows x 4 vectors (8 accumulators + 3 inputs; some of the 9 weights come from memory):
 * whole 32-wide row steps measured faster than 4 rows x 1 vector on the memory-bound batch-8 layer */
/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define DW3_R 2
#define DW3_NV 4
#define FWD_ROWS ck_depthwise_fwd_rows__avx2_f32
#define FWD_BODY ck_depthwise_fwd_body__avx2_f32
#define FWD_STORE ck_depthwise_fwd_store__avx2_f32
#define FWD3_BODY ck_depthwise_fwd3_body__avx2_f32
#define FWD3_COLS ck_depthwise_fwd3_cols__avx2_f32
#define FWD3_ROWS ck_depthwise_fwd3_rows__avx2_f32
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx2_f32
#define BWW_ROWS ck_depthwise_bww_rows__avx2_f32
#define BWW_BODY ck_depthwise_bww_body__avx2_f32
#define BWW3_ROWS ck_depthwise_bww3_rows__avx2_f32
#define PACK_ROWS ck_depthwise_pack_rows__avx2_f32
#define PACK_EDGE ck_depthwise_pack_edge__avx2_f32
/* fwd3u (the 3x3 forward on unpacked rows) for float32 only: in one process against packing, Zen 2,
 * 2 threads, 128 x 56 x 56, forward and input gradient: float32 1.05-1.35x, float64 0.83-1.02x */
#define DW3U_VAND(v, m) _mm256_and_ps((v), _mm256_castsi256_ps(m))
#define FWD3U_BODY ck_depthwise_fwd3u_body__avx2_f32
#define FWD3U_COLS ck_depthwise_fwd3u_cols__avx2_f32
#define FWD3U_ROWS ck_depthwise_fwd3u_rows__avx2_f32
#include "depthwise_kernels_simd_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define DW3_R 2
#define DW3_NV 4
#define FWD_ROWS ck_depthwise_fwd_rows__avx2_f64
#define FWD_BODY ck_depthwise_fwd_body__avx2_f64
#define FWD_STORE ck_depthwise_fwd_store__avx2_f64
#define FWD3_BODY ck_depthwise_fwd3_body__avx2_f64
#define FWD3_COLS ck_depthwise_fwd3_cols__avx2_f64
#define FWD3_ROWS ck_depthwise_fwd3_rows__avx2_f64
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx2_f64
#define BWW_ROWS ck_depthwise_bww_rows__avx2_f64
#define BWW_BODY ck_depthwise_bww_body__avx2_f64
#define BWW3_ROWS ck_depthwise_bww3_rows__avx2_f64
#define PACK_ROWS ck_depthwise_pack_rows__avx2_f64
#define PACK_EDGE ck_depthwise_pack_edge__avx2_f64
#include "depthwise_kernels_simd_template.h"

#endif /* CK_DEPTHWISE_X86 */
