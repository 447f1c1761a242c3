/* fft_f64_avx512.c -- the double transforms of ck_fft.h compiled for the avx512 instruction set
 * (F, DQ, BW, VL: what ck_cpu_isa() calls avx512; template: fft_template.h; dispatch: fft_dispatch.c). */
#include <string.h>

#include "cnnkern/ck_fft.h"
#include "cnnkern/ck_simd_avx512.h"
#include "fft_kernels.h"

#define REAL double
#define LANES 8
#define TW tw64
#define POST post64
#define FFT_FORWARD ck_fft_forward__avx512_f64
#define FFT_INVERSE ck_fft_inverse__avx512_f64
#define FFT_FORWARD_LANES ck_fft_forward_lanes__avx512_f64
#define FFT_INVERSE_LANES ck_fft_inverse_lanes__avx512_f64
CK_TARGET_BEGIN
#include "fft_template.h"
CK_TARGET_END
