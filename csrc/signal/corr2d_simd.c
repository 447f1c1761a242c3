/*
 * corr2d_simd.c -- the SIMD 2-D (row-pitch) direct correlation kernels, f32 and f64, one instance of
 * corr2d_simd_template.h per ISA and dtype: avx2 (AVX2+FMA; 8 / 4 lanes) and avx512 (AVX-512F;
 * 16 / 8 lanes) (contract: cnnkern/ck_signal.h). Per-function target attributes (ck_simd_<isa>.h), no
 * -m flags; corr2d.c calls an ISA's kernels only when ck_cpu_isa() allows it (AVX-512 is opt-in:
 * CNNKERN_AVX512=1, as for the direct convolution). Compiled only where CK_SIMD_X86.
 */
#include "cnnkern/ck_signal.h"
#include "cnnkern/ck_simd_x86.h"

#if CK_SIMD_X86

#include "cnnkern/ck_simd_avx2.h"
#include "corr2d_simd_dtypes.h"

#include "cnnkern/ck_simd_avx512.h"
#include "corr2d_simd_dtypes.h"

#endif
