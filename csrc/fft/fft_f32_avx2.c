/* fft_f32_avx2.c -- the float transforms of ck_fft.h compiled for the avx2 instruction set
 * (template: fft_template.h; dispatch: fft_dispatch.c). */
#include <string.h>

#include "cnnkern/ck_fft.h"
#include "cnnkern/ck_simd_avx2.h"
#include "fft_kernels.h"

#define REAL float
#define LANES 16
#define TW tw32
#define POST post32
#define FFT_FORWARD ck_fft_forward__avx2_f32
#define FFT_INVERSE ck_fft_inverse__avx2_f32
#define FFT_FORWARD_LANES ck_fft_forward_lanes__avx2_f32
#define FFT_INVERSE_LANES ck_fft_inverse_lanes__avx2_f32
CK_TARGET_BEGIN
#include "fft_template.h"
CK_TARGET_END
