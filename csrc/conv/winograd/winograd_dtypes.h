/*
 * winograd_dtypes.h -- instantiate winograd_template.h for float and double on the ISA whose
 * cnnkern/ck_simd_<isa>.h was included last: ck_wino_{input,output,weight}__<isa>_{f32,f64}.
 * Included once by each kernels_<isa>.c. No include guard.
 */
#define WINO_PASTE_(a, b, c) a##__##b##_##c
#define WINO_PASTE(a, b, c) WINO_PASTE_(a, b, c)

#include "cnnkern/ck_simd_f32.h"
#define WFN(name) WINO_PASTE(name, CK_ISA_TOKEN, f32)
#include "winograd_template.h"

#include "cnnkern/ck_simd_f64.h"
#define WFN(name) WINO_PASTE(name, CK_ISA_TOKEN, f64)
#include "winograd_template.h"

#undef WINO_PASTE
#undef WINO_PASTE_
