/*
 * depthwise_kernels_avx512.c -- AVX-512 (F, VL, BW, DQ) row kernels of the depthwise operator (contract:
 * depthwise_kernels.h): 16 floats / 8 doubles per vector, row tails by mask registers.
 * Compiled with the target of cnnkern/ck_simd_avx512.h only, so the file builds without -m flags.
 */
#include "depthwise_kernels.h"

#if CK_DEPTHWISE_X86
#include "cnnkern/ck_simd_avx512.h"

/* 3x3 body: 4 rows x 4 vectors (16 accumulators + 9 weights + 3 inputs of the 32 zmm): a 56-wide
 * row in one column step, so the plane is read and written row by row */
/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define DW3_R 4
#define DW3_NV 4
#define DW3_VALIGN(hi, lo, n) \
    _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), (n)))
#define FWD_ROWS ck_depthwise_fwd_rows__avx512_f32
#define FWD_BODY ck_depthwise_fwd_body__avx512_f32
#define FWD_STORE ck_depthwise_fwd_store__avx512_f32
#define FWD3_BODY ck_depthwise_fwd3_body__avx512_f32
#define FWD3_COLS ck_depthwise_fwd3_cols__avx512_f32
#define FWD3_ROWS ck_depthwise_fwd3_rows__avx512_f32
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx512_f32
#define BWW_ROWS ck_depthwise_bww_rows__avx512_f32
#define BWW_BODY ck_depthwise_bww_body__avx512_f32
#define BWW3_ROWS ck_depthwise_bww3_rows__avx512_f32
#define PACK_ROWS ck_depthwise_pack_rows__avx512_f32
#define PACK_EDGE ck_depthwise_pack_edge__avx512_f32
#include "depthwise_kernels_simd_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define DW3_R 4
#define DW3_NV 4
#define DW3_VALIGN(hi, lo, n) \
    _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), (n)))
#define FWD_ROWS ck_depthwise_fwd_rows__avx512_f64
#define FWD_BODY ck_depthwise_fwd_body__avx512_f64
#define FWD_STORE ck_depthwise_fwd_store__avx512_f64
#define FWD3_BODY ck_depthwise_fwd3_body__avx512_f64
#define FWD3_COLS ck_depthwise_fwd3_cols__avx512_f64
#define FWD3_ROWS ck_depthwise_fwd3_rows__avx512_f64
#define FWD_ROWS_T ck_depthwise_fwd_rows_t__avx512_f64
#define BWW_ROWS ck_depthwise_bww_rows__avx512_f64
#define BWW_BODY ck_depthwise_bww_body__avx512_f64
#define BWW3_ROWS ck_depthwise_bww3_rows__avx512_f64
#define PACK_ROWS ck_depthwise_pack_rows__avx512_f64
#define PACK_EDGE ck_depthwise_pack_edge__avx512_f64
#include "depthwise_kernels_simd_template.h"

#endif /* CK_DEPTHWISE_X86 */
