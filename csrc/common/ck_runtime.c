/*
 * ck_runtime.c -- thread defaults, CPU feature detection and aligned allocation.
 *
 * ISA dispatch: kernels for AVX2 and AVX-512 are compiled with __attribute__((target(...))) in the
 * same translation units as the portable ones, so the default build needs no -m flags and runs on
 * any x86-64. ck_cpu_isa() picks the best set the CPU has (AVX-512 needs F, BW, VL and DQ; AVX2 needs
 * FMA too), capped once, at the first call, by the environment:
 *   CNNKERN_ISA=generic|avx2|avx512   the best set cnnkern may use (other values: no cap; Python warns)
 *   CNNKERN_AVX512=0                  deprecated spelling of CNNKERN_ISA=avx2 (=1 is now a no-op: AVX-512
 *                                     is the default since it was checked on AVX-512 hardware, Zen 5)
 * and, for tests, at any time by ck_cpu_force_isa() (a separate cap: lifting it never lifts the
 * environment's). Both caps only lower the ISA: they never select code the CPU cannot run.
 */
#define _POSIX_C_SOURCE 200809L /* posix_memalign under -std=c11 */
#include "cnnkern/ck_common.h"

#include <stdlib.h>
#include <string.h>
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

static ck_isa detect_cpu_isa(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return CK_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return CK_ISA_AVX2;
#endif
    return CK_ISA_GENERIC;
}

/* The cap the environment sets (CK_ISA_AVX512 = none): CNNKERN_ISA, and the deprecated CNNKERN_AVX512=0. */
static ck_isa environment_isa_cap(void)
{
    ck_isa cap = CK_ISA_AVX512;
    const char *name = getenv("CNNKERN_ISA");
    if (name && strcmp(name, "generic") == 0)
        cap = CK_ISA_GENERIC;
    else if (name && strcmp(name, "avx2") == 0)
        cap = CK_ISA_AVX2;
    const char *legacy = getenv("CNNKERN_AVX512");
    if (legacy && strcmp(legacy, "0") == 0 && cap > CK_ISA_AVX2)
        cap = CK_ISA_AVX2;
    return cap;
}

static ck_isa detect_isa(void)
{
    const ck_isa cpu = detect_cpu_isa(), cap = environment_isa_cap();
    return cpu < cap ? cpu : cap;
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
