/*
 * ck_common.h -- types and conventions shared by every cnnkern C file.
 *
 * Contract for all cnnkern C entry points:
 *   - Inputs were validated once, in Python (cnnkern/_params.py). C trusts shapes and parameters;
 *     preconditions are repeated as assert()s, compiled out in release builds.
 *   - Tensors are dense, C-contiguous, in the dtype named by the function's suffix (_f32 / _f64).
 *   - Indices and sizes are 64-bit (ck_index) so no product of dimensions overflows.
 *   - Every entry point returns a ck_status; it never prints, aborts or touches Python.
 *   - The number of worker threads is an argument (inside the parameter struct), not a global,
 *     so concurrent calls from several Python threads share no mutable state.
 */
#ifndef CK_COMMON_H
#define CK_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t ck_index;

typedef enum ck_status {
    CK_OK = 0,
    CK_ERR_NOMEM = 1,       /* a workspace allocation failed            -> MemoryError */
    CK_ERR_INVALID = 2,     /* a parameter outside the supported range  -> ValueError  */
    CK_ERR_UNSUPPORTED = 3, /* valid, but this algorithm cannot do it   -> NotImplementedError */
    CK_ERR_INTERRUPTED = 4  /* stopped early by SIGINT (ck_interrupt.h); the output is garbage
                             * -> KeyboardInterrupt */
} ck_status;

/* Threads: the OpenMP team size for one call; 1 means serial. */
int ck_openmp_enabled(void);      /* 1 if the library was built with OpenMP */
int ck_default_num_threads(void); /* omp_get_max_threads() (honours OMP_NUM_THREADS), or 1 */
/* The team of a parallel loop over `work` items: never more threads than items, at least 1
 * (an OpenMP fork of far more threads than work only costs, and its per-thread state sits on the
 * caller's stack). */
static inline int ck_team(int threads, ck_index work)
{
    if (threads < 1 || work < 1)
        return 1;
    return work < (ck_index)threads ? (int)work : threads;
}

/* Run-time instruction-set detection (csrc/common/ck_runtime.c; per-ISA vocabulary: ck_simd_<isa>.h). */
typedef enum ck_isa { CK_ISA_GENERIC = 0, CK_ISA_AVX2 = 1, CK_ISA_AVX512 = 2 } ck_isa;
ck_isa ck_cpu_isa(void);              /* the best ISA both the CPU and this build support */
const char *ck_isa_name(ck_isa isa);
void ck_cpu_force_isa(ck_isa isa);    /* for tests: cap the ISA used (never raises it) */

/* Dispatch, the one pattern of every kernel family: an X-macro list of the family's kernels, one row per
 * ISA, best first, generic last (e.g. CK_DIRECT_F32_KERNELS in direct_kernels.h); the list declares the
 * kernels and fills a static table whose rows start with their ck_isa; CK_SELECT_ROW(table) is the first
 * row the CPU (ck_cpu_isa(), capped by CNNKERN_ISA) supports. */
static inline size_t ck_select_row_index(const ck_isa *first_isa, size_t row_bytes, size_t rows)
{
    const ck_isa have = ck_cpu_isa();
    for (size_t i = 0; i < rows; ++i)
        if (*(const ck_isa *)((const char *)first_isa + i * row_bytes) <= have)
            return i;
    return rows - 1;
}
#define CK_SELECT_ROW(table)                                                                                     \
    (&(table)[ck_select_row_index(&(table)[0].isa, sizeof((table)[0]), sizeof(table) / sizeof((table)[0]))])

const char *ck_build_cflags(void);

/* 64-byte aligned allocation for workspaces; NULL on failure (also for size 0 it returns a valid pointer). */
void *ck_aligned_alloc(size_t bytes);
void ck_aligned_free(void *p); /* NULL is a no-op */
/* ck_aligned_alloc refuses blocks larger than the physical memory (NULL, before touching anything);
 * the size of the last refused block, for the MemoryError message (0: none yet). */
size_t ck_alloc_failed_bytes(void);

/* Bytes held in ck_aligned_alloc blocks now, and at most since the last reset (process-wide,
 * thread-safe; what a benchmark reports as an algorithm's extra memory). */
size_t ck_alloc_current_bytes(void);
size_t ck_alloc_peak_bytes(void);
void ck_alloc_reset_peak(void); /* peak := current */

#ifdef __cplusplus
}
#endif
#endif /* CK_COMMON_H */
