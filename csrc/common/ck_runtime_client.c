/*
 * ck_runtime_client.c -- the ck_common.h runtime functions for the extension modules that do not own the
 * runtime (_pool_ext, _signal_ext): each forwards to the owner's table (cnnkern/ck_runtime.h), bound by
 * the module's init through the PyCapsule before any kernel runs. Linked instead of ck_runtime.c.
 */
#include "cnnkern/ck_runtime.h"

#include <stddef.h>

static const ck_runtime_api *rt = NULL;

int ck_runtime_bind(const ck_runtime_api *api)
{
    if (!api || api->version != CK_RUNTIME_API_VERSION)
        return -1;
    rt = api;
    return 0;
}

int ck_openmp_enabled(void) { return rt->openmp_enabled(); }
int ck_default_num_threads(void) { return rt->default_num_threads(); }
ck_isa ck_cpu_isa(void) { return rt->cpu_isa(); }
const char *ck_isa_name(ck_isa isa) { return rt->isa_name(isa); }
void ck_cpu_force_isa(ck_isa isa) { rt->cpu_force_isa(isa); }
const char *ck_build_cflags(void) { return rt->build_cflags(); }
void *ck_aligned_alloc(size_t bytes) { return rt->aligned_alloc(bytes); }
void ck_aligned_free(void *p) { rt->aligned_free(p); }
size_t ck_alloc_current_bytes(void) { return rt->alloc_current_bytes(); }
size_t ck_alloc_peak_bytes(void) { return rt->alloc_peak_bytes(); }
void ck_alloc_reset_peak(void) { rt->alloc_reset_peak(); }
size_t ck_alloc_failed_bytes(void) { return rt->alloc_failed_bytes(); }
