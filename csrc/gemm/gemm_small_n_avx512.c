/*
 * gemm_small_n_avx512.c -- the small-N GEMM (gemm_small_n.h) for AVX-512 (F, VL, BW, DQ): 8 x 3 zmm
 * accumulators, and the last few columns with the rows in the lanes (an in-register transpose of A). Compiled with the target of cnnkern/ck_simd_avx512.h only (no -m flags needed).
 */
#include "gemm_small_n.h"
#include "cnnkern/ck_simd_x86.h"

#if CK_SIMD_X86
#include "cnnkern/ck_simd_avx512.h"

/* TAIL takes up to 4 columns past the last full vector. */
#define SN_TAIL_MAX 4

#include "cnnkern/ck_simd_f32.h"
#define MR 8
#define SMALL_N ck_gemm_small_n__avx512_f32
#define TILE ck_gemm_small_n_tile__avx512_f32
#define TAIL ck_gemm_small_n_tail__avx512_f32
#include "gemm_small_n_template.h"

#include "cnnkern/ck_simd_f64.h"
#define MR 8
#define SMALL_N ck_gemm_small_n__avx512_f64
#define TILE ck_gemm_small_n_tile__avx512_f64
#define TAIL ck_gemm_small_n_tail__avx512_f64
#include "gemm_small_n_template.h"
#endif
