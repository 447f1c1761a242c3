/*
 * kernels_avx2.c -- AVX2+FMA kernels of algorithm "winograd" (contract: winograd_internal.h):
 * the transforms of winograd_template.h with 8 floats / 4 doubles (channels) per vector.
 * Compiled with __attribute__((target("avx2,fma"))) only; the operator calls these only when
 * ck_cpu_isa() >= CK_ISA_AVX2. Unaligned loads and stores.
 */
#include "winograd_internal.h"

#if CK_WINO_X86
#include <immintrin.h>

#define WTARGET __attribute__((target("avx2,fma")))

#define WT float
#define VT __m256
#define VL CK_WINO_LANES_AVX2_F32
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VSUB(a, b) _mm256_sub_ps((a), (b))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VSET1(x) _mm256_set1_ps(x)
#define WFN(name) name##__avx2_f32
#include "winograd_template.h"

#define WT double
#define VT __m256d
#define VL CK_WINO_LANES_AVX2_F64
#define VLOAD(p) _mm256_loadu_pd(p)
#define VSTORE(p, v) _mm256_storeu_pd((p), (v))
#define VADD(a, b) _mm256_add_pd((a), (b))
#define VSUB(a, b) _mm256_sub_pd((a), (b))
#define VMUL(a, b) _mm256_mul_pd((a), (b))
#define VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define VSET1(x) _mm256_set1_pd(x)
#define WFN(name) name##__avx2_f64
#include "winograd_template.h"
#endif
