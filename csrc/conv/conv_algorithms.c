/*
 * conv_algorithms.c -- the one table of convolution algorithms (ck_conv.h: ck_conv_algorithm) and the
 * dtype dispatch every caller shares.
 *
 * Contract: ck_conv_algorithms[] lists each algorithm once, in the order cnnkern.algorithms() shows
 * them; a row holds its six pass pointers (NULL where the algorithm has no such pass), its support test
 * and its workspace query (both from the algorithm's folder). ck_conv_algorithm_run never calls a pass
 * the support test declines, so no caller repeats a support rule. Nothing here allocates or threads.
 */
#include "cnnkern/ck_conv.h"

/* The shim copies the 25 ck_index fields before num_threads as one block (cnnkern/_conv_ext.pyx:_fill). */
_Static_assert(offsetof(ck_conv_params, num_threads) == 25 * sizeof(ck_index), "ck_conv_params layout");

/* The workspace queries with the table's signature (fft sizes its workers from an argument). */
static size_t fft_workspace(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size)
{
    return ck_conv_workspace__fft(p, dir, elem_size, p->num_threads);
}

#define CK_CONV_PASSES(name)                                                                 \
    ck_conv_fwd__##name##_f32, ck_conv_fwd__##name##_f64, ck_conv_bwd_input__##name##_f32,   \
        ck_conv_bwd_input__##name##_f64, ck_conv_bwd_weight__##name##_f32, ck_conv_bwd_weight__##name##_f64

const ck_conv_algorithm ck_conv_algorithms[] = {
    {"reference", CK_CONV_PASSES(reference), NULL, NULL, NULL, NULL},
    {"direct", CK_CONV_PASSES(direct), NULL, NULL, ck_conv_bwd_all__direct_f32, ck_conv_bwd_all__direct_f64},
    {"im2col", CK_CONV_PASSES(im2col), NULL, ck_conv_workspace__im2col, NULL, NULL},
    {"fft", CK_CONV_PASSES(fft), ck_conv_fft_unsupported, fft_workspace, NULL, NULL},
    {"separable", ck_conv_fwd__separable_f32, ck_conv_fwd__separable_f64, ck_conv_bwd_input__separable_f32,
     ck_conv_bwd_input__separable_f64, NULL, NULL, ck_conv_separable_unsupported, NULL, NULL, NULL},
    {"winograd", CK_CONV_PASSES(winograd), ck_conv_winograd_unsupported, ck_conv_workspace__winograd, NULL, NULL},
};

const int ck_conv_algorithm_count = (int)(sizeof ck_conv_algorithms / sizeof ck_conv_algorithms[0]);

static int has_pass(const ck_conv_algorithm *a, ck_conv_direction dir)
{
    switch (dir) {
    case CK_CONV_FWD: return a->fwd_f32 && a->fwd_f64;
    case CK_CONV_BWD_INPUT: return a->bwd_input_f32 && a->bwd_input_f64;
    case CK_CONV_BWD_WEIGHT: return a->bwd_weight_f32 && a->bwd_weight_f64;
    }
    return 0;
}

const char *ck_conv_algorithm_unsupported(const ck_conv_algorithm *a, const ck_conv_params *p, ck_conv_direction dir)
{
    const char *why = a->unsupported ? a->unsupported(p, dir) : NULL;
    if (!why && !has_pass(a, dir))
        why = "has no pass for this direction";
    return why;
}

ck_status ck_conv_algorithm_run(const ck_conv_algorithm *a, ck_conv_direction dir, size_t elem_size,
                                const ck_conv_params *p, const void *in0, const void *in1, const void *b, void *out)
{
    if (ck_conv_algorithm_unsupported(a, p, dir))
        return CK_ERR_UNSUPPORTED;
    int f32 = elem_size == sizeof(float);
    switch (dir) {
    case CK_CONV_FWD:
        return f32 ? a->fwd_f32(p, in0, in1, b, out) : a->fwd_f64(p, in0, in1, b, out);
    case CK_CONV_BWD_INPUT:
        return f32 ? a->bwd_input_f32(p, in0, in1, out) : a->bwd_input_f64(p, in0, in1, out);
    case CK_CONV_BWD_WEIGHT:
        return f32 ? a->bwd_weight_f32(p, in0, in1, out) : a->bwd_weight_f64(p, in0, in1, out);
    }
    return CK_ERR_INVALID;
}

size_t ck_conv_algorithm_workspace(const ck_conv_algorithm *a, const ck_conv_params *p, ck_conv_direction dir,
                                   size_t elem_size)
{
    return a->workspace ? a->workspace(p, dir, elem_size) : 0;
}

ck_status ck_conv_algorithm_run_backward(const ck_conv_algorithm *a, size_t elem_size, const ck_conv_params *p,
                                         const void *dy, const void *x, const void *w, void *dx, void *dw, void *db)
{
    if (!a->bwd_all_f32 || !a->bwd_all_f64 || ck_conv_algorithm_unsupported(a, p, CK_CONV_BWD_INPUT) ||
        ck_conv_algorithm_unsupported(a, p, CK_CONV_BWD_WEIGHT))
        return CK_ERR_UNSUPPORTED;
    if (elem_size == sizeof(float))
        return a->bwd_all_f32(p, dy, x, w, dx, dw, db);
    return a->bwd_all_f64(p, dy, x, w, dx, dw, db);
}
