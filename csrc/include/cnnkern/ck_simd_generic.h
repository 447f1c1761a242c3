/*
 * ck_simd_generic.h -- the "generic" instruction set: plain C, whatever the compiler's baseline allows
 * (SSE2 on x86-64). Same vocabulary as ck_simd_avx2.h / ck_simd_avx512.h, with 1-lane "vectors":
 *   CK_ISA_TOKEN      the name part after "__" in ck_<family>_<kernel>__<isa>_<dtype>
 *   CK_TARGET         attribute for one function (empty here)
 *   CK_TARGET_BEGIN/END  a region of whole functions compiled for the ISA (templates that use no
 *                     intrinsics, e.g. GCC vector types); works with gcc and clang
 *   CK_VBYTES         the widest vector in bytes (for GCC vector-extension code)
 *   CK_<DT>_{VT, LANES, VZERO(), VLOAD(p), VSTORE(p, v), VBCAST(p), VSET1(x), VADD(a, b), VSUB(a, b),
 *            VMUL(a, b), VFMA(a, b, c) = a*b + c, VHSUM(v)}
 *   for DT = F32, F64; select one dtype for a template with ck_simd_f32.h / ck_simd_f64.h.
 * No include guard: a file may include several ISA headers in turn.
 */
#include "cnnkern/ck_simd_undef.h"

#define CK_ISA_TOKEN generic
#define CK_TARGET_STRING ""
#define CK_TARGET
#define CK_TARGET_BEGIN
#define CK_TARGET_END
#define CK_VBYTES 16

#define CK_F32_VT float
#define CK_F32_LANES 1
#define CK_F32_VZERO() 0.0f
#define CK_F32_VLOAD(p) (*(p))
#define CK_F32_VSTORE(p, v) (*(p) = (v))
#define CK_F32_VBCAST(p) (*(p))
#define CK_F32_VFMA(a, b, c) ((a) * (b) + (c))
#define CK_F32_VADD(a, b) ((a) + (b))
#define CK_F32_VSUB(a, b) ((a) - (b))
#define CK_F32_VMUL(a, b) ((a) * (b))
#define CK_F32_VSET1(x) (x)
#define CK_F32_VHSUM(v) (v)

#define CK_F64_VT double
#define CK_F64_LANES 1
#define CK_F64_VZERO() 0.0
#define CK_F64_VLOAD(p) (*(p))
#define CK_F64_VSTORE(p, v) (*(p) = (v))
#define CK_F64_VBCAST(p) (*(p))
#define CK_F64_VFMA(a, b, c) ((a) * (b) + (c))
#define CK_F64_VADD(a, b) ((a) + (b))
#define CK_F64_VSUB(a, b) ((a) - (b))
#define CK_F64_VMUL(a, b) ((a) * (b))
#define CK_F64_VSET1(x) (x)
#define CK_F64_VHSUM(v) (v)
