/*
 * conv_reference.c -- the "reference" algorithm for float32 and float64 (see the template for the
 * contract). The bias gradient shared by every algorithm is in csrc/conv/bias/.
 */
#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_interrupt.h"

#include <assert.h>

#define REAL float
#define CONV_FWD_REFERENCE ck_conv_fwd__reference_f32
#define CONV_BWD_INPUT_REFERENCE ck_conv_bwd_input__reference_f32
#define CONV_BWD_WEIGHT_REFERENCE ck_conv_bwd_weight__reference_f32
#include "conv_reference_template.h"
#undef REAL
#undef CONV_FWD_REFERENCE
#undef CONV_BWD_INPUT_REFERENCE
#undef CONV_BWD_WEIGHT_REFERENCE

#define REAL double
#define CONV_FWD_REFERENCE ck_conv_fwd__reference_f64
#define CONV_BWD_INPUT_REFERENCE ck_conv_bwd_input__reference_f64
#define CONV_BWD_WEIGHT_REFERENCE ck_conv_bwd_weight__reference_f64
#include "conv_reference_template.h"
#undef REAL
#undef CONV_FWD_REFERENCE
#undef CONV_BWD_INPUT_REFERENCE
#undef CONV_BWD_WEIGHT_REFERENCE
