/*
 * kernels_avx512.c -- AVX-512F kernels of algorithm "winograd" (contract: winograd_internal.h):
 * the transforms of winograd_template.h with 16 floats / 8 doubles (channels) per vector.
 * Compiled with __attribute__((target("avx512f"))) only; the operator calls these only when
 * ck_cpu_isa() >= CK_ISA_AVX512. Unaligned loads and stores.
 */
#include "winograd_internal.h"

#if CK_WINO_X86
#include <immintrin.h>

#define WTARGET __attribute__((target("avx512f")))

#define WT float
#define VT __m512
#define VL CK_WINO_LANES_AVX512_F32
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VSUB(a, b) _mm512_sub_ps((a), (b))
#define VMUL(a, b) _mm512_mul_ps((a), (b))
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VSET1(x) _mm512_set1_ps(x)
#define WFN(name) name##__avx512_f32
#include "winograd_template.h"

#define WT double
#define VT __m512d
#define VL CK_WINO_LANES_AVX512_F64
#define VLOAD(p) _mm512_loadu_pd(p)
#define VSTORE(p, v) _mm512_storeu_pd((p), (v))
#define VADD(a, b) _mm512_add_pd((a), (b))
#define VSUB(a, b) _mm512_sub_pd((a), (b))
#define VMUL(a, b) _mm512_mul_pd((a), (b))
#define VFMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define VSET1(x) _mm512_set1_pd(x)
#define WFN(name) name##__avx512_f64
#include "winograd_template.h"
#endif
