/* ck_simd_f64.h -- select the double vocabulary of the ISA header included last (see ck_simd_select.h).
 * No include guard: include it again after switching ISA or dtype. */
#undef CK_SIMD_DT
#undef CK_SIMD_REAL
#define CK_SIMD_DT(name) CK_F64_##name
#define CK_SIMD_REAL double
#include "cnnkern/ck_simd_select.h"
