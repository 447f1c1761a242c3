/*
 * corr2d_simd_dtypes.h -- corr2d_simd_template.h for f32 and f64 under the ISA header included last
 * (ck_simd_<isa>.h): ck_signal_corr_2d_rows__<CK_ISA_TOKEN>_{f32,f64}. No include guard: included
 * once per ISA by corr2d_simd.c.
 */
#include "cnnkern/ck_simd_f32.h"
#define CORR2D_ROWS CK_PASTE(CK_PASTE(ck_signal_corr_2d_rows__, CK_ISA_TOKEN), _f32)
#include "corr2d_simd_template.h"

#include "cnnkern/ck_simd_f64.h"
#define CORR2D_ROWS CK_PASTE(CK_PASTE(ck_signal_corr_2d_rows__, CK_ISA_TOKEN), _f64)
#include "corr2d_simd_template.h"
