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

/* Token pasting after macro expansion (e.g. a name from CK_ISA_TOKEN or a dtype token). */
#define CK_PASTE_(a, b) a##b
#define CK_PASTE(a, b) CK_PASTE_(a, b)

/* The dispatch table (ck_common.h) of a family with one kernel per ISA and dtype, named by the rule
 * <prefix><isa>_{f32,f64}: CK_ISA_TABLE_F32_F64(name, type_f32, type_f64, prefix) defines
 * `static const struct {ck_isa isa; type_f32 f32; type_f64 f64;} name[]`, rows avx512, avx2 (where
 * CK_SIMD_X86) and generic; CK_SELECT_ROW(name)->f32 is the kernel to run. */
#if CK_SIMD_X86
#define CK_ISA_TABLE_X86_ROWS_(prefix)                                                                   \
    {CK_ISA_AVX512, prefix##avx512_f32, prefix##avx512_f64}, {CK_ISA_AVX2, prefix##avx2_f32, prefix##avx2_f64},
#else
#define CK_ISA_TABLE_X86_ROWS_(prefix)
#endif
#define CK_ISA_TABLE_F32_F64(name, type_f32, type_f64, prefix)                                           \
    static const struct {                                                                                \
        ck_isa isa;                                                                                      \
        type_f32 f32;                                                                                    \
        type_f64 f64;                                                                                    \
    } name[] = {CK_ISA_TABLE_X86_ROWS_(prefix){CK_ISA_GENERIC, prefix##generic_f32, prefix##generic_f64}}

/* The X-macro kernel list of a family with four kernels per ISA and dtype, named by the rule
 * <prefix><isa>_<dt>: CK_ISA_KERNELS4(X, dt, p1, p2, p3, p4) is X(isa, dt, p1<isa>_<dt>, .., p4<isa>_<dt>)
 * for the rows avx512, avx2 (where CK_SIMD_X86) and generic, best first (the dispatch picks the first
 * row the CPU runs: CK_SELECT_ROW). */
#if CK_SIMD_X86
#define CK_ISA_KERNELS4_X86_(X, dt, p1, p2, p3, p4)                                                        \
    X(CK_ISA_AVX512, dt, p1##avx512_##dt, p2##avx512_##dt, p3##avx512_##dt, p4##avx512_##dt)             \
    X(CK_ISA_AVX2, dt, p1##avx2_##dt, p2##avx2_##dt, p3##avx2_##dt, p4##avx2_##dt)
#else
#define CK_ISA_KERNELS4_X86_(X, dt, p1, p2, p3, p4)
#endif
#define CK_ISA_KERNELS4(X, dt, p1, p2, p3, p4)                                                             \
    CK_ISA_KERNELS4_X86_(X, dt, p1, p2, p3, p4)                                                            \
    X(CK_ISA_GENERIC, dt, p1##generic_##dt, p2##generic_##dt, p3##generic_##dt, p4##generic_##dt)
#endif /* CK_SIMD_X86_H */
