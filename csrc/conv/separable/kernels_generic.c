/*
 * kernels_generic.c -- portable tap-sum kernels of the separable convolution (contract:
 * separable_kernels.h). Plain C; blocks of BLOCK elements keep their running sums in a local array
 * the compiler holds in vector registers (SSE2 on any x86-64). No workspace, no threads.
 */
#include "separable_kernels.h"

#define BLOCK 16

#define REAL float
#define TAPSUM ck_sep_tapsum__generic_f32
#define TAPSUM_ROWS ck_sep_tapsum_rows__generic_f32
#define TAPSUM_SHIFT ck_sep_tapsum_shift__generic_f32
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__generic_f32
#include "kernels_generic_template.h"

#define REAL double
#define TAPSUM ck_sep_tapsum__generic_f64
#define TAPSUM_ROWS ck_sep_tapsum_rows__generic_f64
#define TAPSUM_SHIFT ck_sep_tapsum_shift__generic_f64
#define TAPSUM_SHIFT_ROWS ck_sep_tapsum_shift_rows__generic_f64
#include "kernels_generic_template.h"
