/*
 * ck_runtime.h -- one runtime state for the whole package.
 *
 * cnnkern builds several extension modules (_conv_ext, _pool_ext, _signal_ext), and Python loads each
 * with its own symbols (RTLD_LOCAL): state in a C file linked into all of them would exist once per
 * module (the ISA cap, the allocation counters). So the state lives in one module only, the owner
 * cnnkern._conv_ext (csrc/common/ck_runtime.c), which publishes the table below as the PyCapsule
 * CK_RUNTIME_CAPSULE. The other modules link csrc/common/ck_runtime_client.c instead: the same
 * ck_common.h functions, forwarding through the table their Cython module init binds (before any kernel
 * can run). Stateless helpers (ck_isa_name, ck_build_cflags, OpenMP queries) go through it too, so
 * every module reports the owner's build.
 *
 * Adding runtime state (e.g. an interrupt flag, a thread cap): put it in ck_runtime.c (or another
 * csrc/common/ file, which setup.py links into the owner only), add its functions to ck_runtime_api
 * (at the end), forward them in ck_runtime_client.c and raise CK_RUNTIME_API_VERSION.
 */
#ifndef CK_RUNTIME_H
#define CK_RUNTIME_H

#include "cnnkern/ck_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CK_RUNTIME_CAPSULE "cnnkern._conv_ext._ck_runtime"
#define CK_RUNTIME_API_VERSION 2

typedef struct ck_runtime_api {
    int version; /* CK_RUNTIME_API_VERSION of the owner */
    int (*openmp_enabled)(void);
    int (*default_num_threads)(void);
    ck_isa (*cpu_isa)(void);
    const char *(*isa_name)(ck_isa);
    void (*cpu_force_isa)(ck_isa);
    const char *(*build_cflags)(void);
    void *(*aligned_alloc)(size_t);
    void (*aligned_free)(void *);
    size_t (*alloc_current_bytes)(void);
    size_t (*alloc_peak_bytes)(void);
    void (*alloc_reset_peak)(void);
    size_t (*alloc_failed_bytes)(void);
} ck_runtime_api;

/* Owner only (cnnkern._conv_ext): the workspace cache of ck_aligned_alloc (ck_runtime.c), which every
 * module's allocations go through. Setting the limit frees the cached blocks (0: none kept). */
void ck_workspace_cache_set_limit(size_t bytes);
size_t ck_workspace_cache_get_limit(void);
size_t ck_workspace_cache_bytes(void); /* bytes held in cached blocks now */

/* The owner's table (ck_runtime.c; static storage, never freed). */
const ck_runtime_api *ck_runtime_api_table(void);

/* Client modules (ck_runtime_client.c): use `api` from now on. Returns 0, or -1 (nothing bound) if api is
 * NULL or of another version. */
int ck_runtime_bind(const ck_runtime_api *api);

#ifdef __cplusplus
}
#endif
#endif /* CK_RUNTIME_H */
