/*
 * kernels_avx512.c -- the pooling row kernels for AVX-512 (contract: pool_kernels.h). 16 floats /
 * 8 doubles per vector; the max/min step is a mask compare (ordered > or <, or unordered = NaN) and a
 * masked blend, so it follows CK_BETTER exactly; PV_EVEN is one two-source permute of two loads.
 * Called only when ck_cpu_isa() >= CK_ISA_AVX512.
 */
#include "pool_kernels.h"
#include "../pool_common.h"

#if CK_SIMD_X86
#include "cnnkern/ck_simd_avx512.h"

/* ---- float32 ---- */
#include "cnnkern/ck_simd_f32.h"
#define PV_DT f32
#define PV_STEP_(best, t, pred)                                                                     \
    _mm512_mask_blend_ps(_mm512_cmp_ps_mask((t), (best), pred) | _mm512_cmp_ps_mask((t), (t), _CMP_UNORD_Q), \
                         (best), (t))
#define PV_ADD(a, b) _mm512_add_ps((a), (b))
#define PV_EVEN(p)                                                                                  \
    _mm512_permutex2var_ps(_mm512_loadu_ps(p),                                                      \
                           _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), \
                           _mm512_loadu_ps((p) + 16))
#include "pool_kernels_template.h"

/* ---- float64 ---- */
#include "cnnkern/ck_simd_f64.h"
#define PV_DT f64
#define PV_STEP_(best, t, pred)                                                                     \
    _mm512_mask_blend_pd(_mm512_cmp_pd_mask((t), (best), pred) | _mm512_cmp_pd_mask((t), (t), _CMP_UNORD_Q), \
                         (best), (t))
#define PV_ADD(a, b) _mm512_add_pd((a), (b))
#define PV_EVEN(p) _mm512_permutex2var_pd(_mm512_loadu_pd(p), _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), \
                                          _mm512_loadu_pd((p) + 8))
#include "pool_kernels_template.h"

#endif /* CK_SIMD_X86 */
