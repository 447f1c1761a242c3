/*
 * corr_nd.c -- N-D single-channel direct cross-correlation, uint64 / uint32 (wrapping) and double
 * (contract: cnnkern/ck_signal.h). The loops live in corr_nd_template.h.
 *
 * uint64 arithmetic is used for every bool/integer input because unsigned overflow is defined in C
 * (modulo 2^64) while signed overflow is not; modulo 2^64 the sums agree with any narrower signed or
 * unsigned wrap-around, which is what scipy.signal's direct method computes in the integer dtype.
 */
#include "cnnkern/ck_signal.h"
#include "cnnkern/ck_interrupt.h"

#define CK_T uint64_t
#define CK_CORR_ND ck_signal_corr_nd__direct_u64
#include "corr_nd_template.h"
#undef CK_T
#undef CK_CORR_ND

#define CK_T uint32_t
#define CK_CORR_ND ck_signal_corr_nd__direct_u32
#include "corr_nd_template.h"
#undef CK_T
#undef CK_CORR_ND

#define CK_T double
#define CK_CORR_ND ck_signal_corr_nd__direct_f64
#include "corr_nd_template.h"
#undef CK_T
#undef CK_CORR_ND
