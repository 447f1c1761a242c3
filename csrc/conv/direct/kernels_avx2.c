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
 *
 * IN/OUT, tile and padding rules: direct_kernels.h. Unaligned loads/stores, no workspace, no threads.
 * Compiled with __attribute__((target("avx2,fma"))) only, so the file builds without -m flags; the
 * operator calls these only when ck_cpu_isa() >= CK_ISA_AVX2.
 */
#include "direct_kernels.h"

#if CK_DIRECT_X86
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx2,fma")))

/* Sum of the lanes of one vector (the end of each bww dot product). */
static inline CK_TARGET float ck_direct_hsum__avx2_f32(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline CK_TARGET double ck_direct_hsum__avx2_f64(__m256d v)
{
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}
#define OCB 4
#define NV_MAX 3
#define BK 4
#define BT 3
#define NV1_MAX 8
#define BT1 8

/* ---- float32 ---- */
#define REAL float
#define VT __m256
#define LANES 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VHSUM(v) ck_direct_hsum__avx2_f32(v)
#define FWD_TILE ck_direct_fwd_tile_4x24__avx2_f32
#define FWD_BODY ck_direct_fwd_body_4x24__avx2_f32
#define BWW_TILE ck_direct_bww_tile_4x3__avx2_f32
#define BWW_BODY ck_direct_bww_body_4x3__avx2_f32
#define FWD1_TILE ck_direct_fwd_tile_1x64__avx2_f32
#define BWW1_TILE ck_direct_bww_tile_1x8__avx2_f32
#include "direct_kernels_simd_template.h"

/* ---- float64 ---- */
#define REAL double
#define VT __m256d
#define LANES 4
#define VZERO() _mm256_setzero_pd()
#define VLOAD(p) _mm256_loadu_pd(p)
#define VSTORE(p, v) _mm256_storeu_pd((p), (v))
#define VBCAST(p) _mm256_broadcast_sd(p)
#define VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define VHSUM(v) ck_direct_hsum__avx2_f64(v)
#define FWD_TILE ck_direct_fwd_tile_4x12__avx2_f64
#define FWD_BODY ck_direct_fwd_body_4x12__avx2_f64
#define BWW_TILE ck_direct_bww_tile_4x3__avx2_f64
#define BWW_BODY ck_direct_bww_body_4x3__avx2_f64
#define FWD1_TILE ck_direct_fwd_tile_1x32__avx2_f64
#define BWW1_TILE ck_direct_bww_tile_1x8__avx2_f64
#include "direct_kernels_simd_template.h"

#endif /* CK_DIRECT_X86 */
