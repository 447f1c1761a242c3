/*
 * ck_runtime.c -- thread defaults, CPU feature detection and aligned (counted, large blocks cached)
 * allocation.
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
 *
 * Linked into cnnkern._conv_ext only, the owner of the package's one runtime state; the other modules
 * reach it through ck_runtime_api_table() (cnnkern/ck_runtime.h, ck_runtime_client.c).
 */
#define _POSIX_C_SOURCE 200809L /* posix_memalign under -std=c11 */
#define _DEFAULT_SOURCE         /* madvise / MADV_HUGEPAGE */
#include "cnnkern/ck_common.h"
#include "cnnkern/ck_runtime.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
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

/* Workspace accounting: every ck_aligned_alloc block is counted in `alloc_current` while alive and
 * `alloc_peak` records the high-water mark, so a benchmark can report the measured extra memory of
 * any algorithm (reset the peak, run it, read the peak). Process-wide (one copy: the other extension
 * modules forward here through ck_runtime_api), updated with C11 atomics so concurrent calls stay correct; a
 * peak read while other threads allocate is the peak of their sum. The block's size is kept in a
 * 64-byte header in front of it, so the returned pointer stays 64-byte aligned. */
#define CK_ALLOC_HEADER 64
static _Atomic size_t alloc_current = 0;
static _Atomic size_t alloc_peak = 0;

static void note_peak(size_t now)
{
    size_t peak = atomic_load_explicit(&alloc_peak, memory_order_relaxed);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&alloc_peak, &peak, now, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

/* Large blocks (>= CK_HUGE_ADVISE_BYTES) are advised to use transparent huge pages where the kernel
 * leaves that to madvise (the common Linux default): glibc hands blocks this size out as fresh mmap
 * pages again and again, depending on its dynamic thresholds (which earlier calls move), and the page
 * faults then dominated: cnnkern.signal.correlate(1024x1024, 63x63, "full", method="fft") at 1 thread
 * took 37-50 ms after some smaller calls in the same process vs 12-14 ms alone (~14000 page faults per
 * call: workspaces of ~50 MB); with the advice ~14 ms in either case (AMD Zen 5, THP "madvise"). Such
 * blocks are 2 MiB aligned and rounded up to whole 2 MiB pages (at most 2 MiB more than asked; the
 * accounting counts what was asked); madvise failures are ignored (it is a hint). */
#define CK_HUGE_PAGE ((size_t)2 << 20)
#define CK_HUGE_ADVISE_BYTES ((size_t)4 << 20)
static void advise_huge(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* A workspace larger than the machine's physical memory can only end in swapping or an OOM kill once
 * it is touched (Linux overcommits, so malloc itself may succeed): refuse it up front, and remember
 * the size for the MemoryError message (process-wide: concurrent failures report one of theirs). */
static _Atomic size_t alloc_failed_bytes = 0;

static size_t physical_memory_bytes(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && (size_t)pages <= SIZE_MAX / (size_t)page)
        return (size_t)pages * (size_t)page;
#endif
    return SIZE_MAX;
}

size_t ck_alloc_failed_bytes(void) { return atomic_load(&alloc_failed_bytes); }

/* Workspace cache: freed huge-page blocks (the size class above) are kept, up to CK_CACHE_SLOTS of
 * them and cache_limit bytes in all, and handed out again to the next request they hold (the
 * smallest that does). A block fresh from the system costs a page fault per page on first touch,
 * and with transparent huge pages on "madvise" possibly a synchronous compaction: a plain
 * 1x64x27x27 * 192x64x5x5 fft forward (about 53 MB of kernel spectra) took 10-48 ms per call that
 * way, 2.5 ms on reused memory (2 threads, Zen 4 VM). A freed block that finds no free slot or no
 * room under the limit evicts the least recently freed blocks: the cache keeps the working set of
 * the latest calls instead of whatever filled it first (slots stuck with blocks too small for a later
 * layer make every call of that layer fault its workspace anew; the suspected cause of the guard once
 * timing winograd on vgg_conv1_2 at 76 ms instead of 20 and keeping fft). The accounting above counts
 * handed-out blocks only (what was asked), so cached blocks never show as an algorithm's workspace.
 * One short spin lock guards the slots (a few compares per large allocation); evicted blocks are
 * freed after it is released. */
#define CK_CACHE_SLOTS 4
#define CK_CACHE_DEFAULT_LIMIT ((size_t)128 << 20)
typedef struct {
    void *base;         /* the posix_memalign pointer */
    size_t capacity;    /* usable bytes after the header */
    unsigned long long freed; /* cache_clock when it was put: the smallest is evicted first */
} ck_cached_block;
static ck_cached_block cache_slot[CK_CACHE_SLOTS];
static size_t cache_bytes = 0;             /* guarded by cache_lock */
static unsigned long long cache_clock = 0; /* guarded by cache_lock */
static _Atomic size_t cache_limit = CK_CACHE_DEFAULT_LIMIT;
static atomic_flag cache_lock = ATOMIC_FLAG_INIT;

static void cache_acquire(void)
{
    while (atomic_flag_test_and_set_explicit(&cache_lock, memory_order_acquire)) {
    }
}

static void cache_release(void) { atomic_flag_clear_explicit(&cache_lock, memory_order_release); }

/* A cached block of at least `bytes` usable bytes (removed from the cache), or NULL. */
static void *cache_take(size_t bytes, size_t *capacity)
{
    void *base = NULL;
    cache_acquire();
    int best = -1;
    for (int i = 0; i < CK_CACHE_SLOTS; ++i)
        if (cache_slot[i].base && cache_slot[i].capacity >= bytes &&
            (best < 0 || cache_slot[i].capacity < cache_slot[best].capacity))
            best = i;
    if (best >= 0) {
        base = cache_slot[best].base;
        *capacity = cache_slot[best].capacity;
        cache_bytes -= cache_slot[best].capacity;
        cache_slot[best].base = NULL;
    }
    cache_release();
    return base;
}

/* Keep a freed block if it fits under the limit at all, evicting the least recently freed blocks
 * until a slot is free and the limit holds; 1 if kept (0: the caller frees it). */
static int cache_put(void *base, size_t capacity)
{
    void *evicted[CK_CACHE_SLOTS];
    int nevicted = 0, kept = 0;
    cache_acquire();
    const size_t limit = atomic_load_explicit(&cache_limit, memory_order_relaxed);
    if (capacity <= limit) {
        for (;;) {
            int free_slot = -1, oldest = -1;
            for (int i = 0; i < CK_CACHE_SLOTS; ++i) {
                if (!cache_slot[i].base)
                    free_slot = free_slot < 0 ? i : free_slot;
                else if (oldest < 0 || cache_slot[i].freed < cache_slot[oldest].freed)
                    oldest = i;
            }
            if (free_slot >= 0 && cache_bytes + capacity <= limit) {
                cache_slot[free_slot].base = base;
                cache_slot[free_slot].capacity = capacity;
                cache_slot[free_slot].freed = ++cache_clock;
                cache_bytes += capacity;
                kept = 1;
                break;
            }
            /* capacity <= limit, so some block is cached whenever the test above fails */
            evicted[nevicted++] = cache_slot[oldest].base;
            cache_bytes -= cache_slot[oldest].capacity;
            cache_slot[oldest].base = NULL;
        }
    }
    cache_release();
    for (int i = 0; i < nevicted; ++i)
        free(evicted[i]);
    return kept;
}

/* Free every cached block. */
static void cache_drain(void)
{
    void *drop[CK_CACHE_SLOTS];
    cache_acquire();
    for (int i = 0; i < CK_CACHE_SLOTS; ++i) {
        drop[i] = cache_slot[i].base;
        cache_slot[i].base = NULL;
    }
    cache_bytes = 0;
    cache_release();
    for (int i = 0; i < CK_CACHE_SLOTS; ++i)
        free(drop[i]);
}

void ck_workspace_cache_set_limit(size_t bytes)
{
    atomic_store(&cache_limit, bytes);
    cache_drain();
}

size_t ck_workspace_cache_get_limit(void) { return atomic_load(&cache_limit); }

size_t ck_workspace_cache_bytes(void)
{
    cache_acquire();
    const size_t b = cache_bytes;
    cache_release();
    return b;
}

/* The block header (CK_ALLOC_HEADER bytes in front of the returned pointer): the bytes asked for (the
 * accounting's) and the usable capacity of a cacheable block (0: a small block, freed at once). */
typedef struct {
    size_t bytes;
    size_t capacity;
} ck_block_header;

void *ck_aligned_alloc(size_t bytes)
{
    void *p = NULL;
    static size_t physical = 0;
    if (physical == 0)
        physical = physical_memory_bytes(); /* benign race: every writer stores the same value */
    if (bytes > physical) {
        atomic_store(&alloc_failed_bytes, bytes);
        return NULL;
    }
    if (bytes == 0)
        bytes = 64;
    /* round up: aligned_alloc wants a multiple of the alignment */
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes > SIZE_MAX - CK_ALLOC_HEADER)
        return NULL;
    const size_t total = bytes + CK_ALLOC_HEADER;
    size_t capacity = 0;
    if (total >= CK_HUGE_ADVISE_BYTES && total <= SIZE_MAX - CK_HUGE_PAGE) {
        p = cache_take(bytes, &capacity);
        if (!p) {
            /* whole huge pages: 2 MiB aligned, rounded up to a multiple of 2 MiB */
            const size_t rounded = (total + CK_HUGE_PAGE - 1) & ~(size_t)(CK_HUGE_PAGE - 1);
            if (posix_memalign(&p, CK_HUGE_PAGE, rounded) != 0) {
                atomic_store(&alloc_failed_bytes, bytes);
                return NULL;
            }
            advise_huge(p, rounded);
            capacity = rounded - CK_ALLOC_HEADER;
        }
    } else if (posix_memalign(&p, 64, total) != 0) {
        atomic_store(&alloc_failed_bytes, bytes);
        return NULL;
    }
    ck_block_header *h = (ck_block_header *)p;
    h->bytes = bytes;
    h->capacity = capacity;
    note_peak(atomic_fetch_add_explicit(&alloc_current, bytes, memory_order_relaxed) + bytes);
    return (char *)p + CK_ALLOC_HEADER;
}

void ck_aligned_free(void *p)
{
    if (!p)
        return;
    char *block = (char *)p - CK_ALLOC_HEADER;
    const ck_block_header *h = (const ck_block_header *)block;
    atomic_fetch_sub_explicit(&alloc_current, h->bytes, memory_order_relaxed);
    if (h->capacity && cache_put(block, h->capacity))
        return;
    free(block);
}

size_t ck_alloc_current_bytes(void) { return atomic_load(&alloc_current); }

size_t ck_alloc_peak_bytes(void) { return atomic_load(&alloc_peak); }

void ck_alloc_reset_peak(void) { atomic_store(&alloc_peak, atomic_load(&alloc_current)); }

const ck_runtime_api *ck_runtime_api_table(void)
{
    static const ck_runtime_api api = {
        CK_RUNTIME_API_VERSION, ck_openmp_enabled,     ck_default_num_threads, ck_cpu_isa,
        ck_isa_name,            ck_cpu_force_isa,      ck_build_cflags,        ck_aligned_alloc,
        ck_aligned_free,        ck_alloc_current_bytes, ck_alloc_peak_bytes,   ck_alloc_reset_peak,
        ck_alloc_failed_bytes,
    };
    return &api;
}
