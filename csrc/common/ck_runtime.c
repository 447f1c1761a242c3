/*
 * ck_runtime.c -- thread defaults, CPU feature detection and aligned allocation.
 *
 * ISA dispatch: kernels for AVX2 and AVX-512 are compiled with __attribute__((target(...))) in the
 * same translation units as the portable ones, so the default build needs no -m flags and runs on
 * any x86-64. ck_cpu_isa() picks the best set at run time; tests may cap it with ck_cpu_force_isa().
 * AVX-512 is opt-in (CNNKERN_AVX512=1) until its kernels have been tested on AVX-512 hardware.
 */
#define _POSIX_C_SOURCE 200809L /* posix_memalign under -std=c11 */
#include "cnnkern/ck_common.h"

#include <stdlib.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#endif

#ifndef CK_BUILD_CFLAGS
#define CK_BUILD_CFLAGS "unknown"
#endif

int ck_openmp_enabled(void) { return CK_BUILD_OPENMP ? 1 : 0; }

int ck_default_num_threads(void)
{
#if CK_BUILD_OPENMP
    int n = omp_get_max_threads();
    return n > 0 ? n : 1;
#else
    return 1;
#endif
}

const char *ck_build_cflags(void) { return CK_BUILD_CFLAGS; }

/* -1: not yet detected. Written once; a benign race (every writer stores the same value). */
static volatile int detected_isa = -1;
static volatile int isa_cap = CK_ISA_AVX512;

static ck_isa detect_isa(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_cpu_init();
    /* The AVX-512 kernels have only run under emulation, never on AVX-512 hardware: they are
     * used only when CNNKERN_AVX512=1 opts in (run the test suite with it on such a machine first). */
    const char *opt_in = getenv("CNNKERN_AVX512");
    if (opt_in && opt_in[0] == '1' &&
        __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return CK_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return CK_ISA_AVX2;
#endif
    return CK_ISA_GENERIC;
}

ck_isa ck_cpu_isa(void)
{
    if (detected_isa < 0)
        detected_isa = (int)detect_isa();
    int isa = detected_isa;
    return (ck_isa)(isa < isa_cap ? isa : isa_cap);
}

void ck_cpu_force_isa(ck_isa isa) { isa_cap = (int)isa; }

const char *ck_isa_name(ck_isa isa)
{
    switch (isa) {
    case CK_ISA_AVX512: return "avx512";
    case CK_ISA_AVX2: return "avx2";
    default: return "generic";
    }
}

void *ck_aligned_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0)
        bytes = 64;
    /* round up: aligned_alloc wants a multiple of the alignment */
    bytes = (bytes + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, bytes) != 0)
        return NULL;
    return p;
}

void ck_aligned_free(void *p) { free(p); }
