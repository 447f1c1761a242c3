/*
 * ck_simd_x86.h -- CK_SIMD_X86 is 1 where the avx2 / avx512 kernels are compiled (x86-64 with gcc or
 * clang: per-function target attributes and run-time dispatch), 0 elsewhere (generic kernels only).
 */
#ifndef CK_SIMD_X86_H
#define CK_SIMD_X86_H
#if defined(__x86_64__) && defined(__GNUC__)
#define CK_SIMD_X86 1
#include <immintrin.h>
#else
#define CK_SIMD_X86 0
#endif
#endif /* CK_SIMD_X86_H */
