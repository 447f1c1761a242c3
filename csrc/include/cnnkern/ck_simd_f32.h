/*
 * ck_simd_f32.h -- select the float vocabulary of the ISA header included last (ck_simd_{generic,avx2,avx512}.h)
 * under the short names the kernel templates use: REAL, VT, LANES, VZERO, VLOAD, VSTORE, VBCAST, VFMA,
 * VHSUM, VMASK_T, VMASK, VMASKLOAD, VMASKSTORE (the mask names exist for avx2 / avx512 only).
 * No include guard: include it again after switching ISA or dtype.
 */
#undef REAL
#undef VT
#undef LANES
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VBCAST
#undef VFMA
#undef VHSUM
#undef VMASK_T
#undef VMASK
#undef VMASKLOAD
#undef VMASKSTORE
#define REAL float
#define VT CK_F32_VT
#define LANES CK_F32_LANES
#define VZERO CK_F32_VZERO
#define VLOAD CK_F32_VLOAD
#define VSTORE CK_F32_VSTORE
#define VBCAST CK_F32_VBCAST
#define VFMA CK_F32_VFMA
#define VHSUM CK_F32_VHSUM
#define VMASK_T CK_F32_VMASK_T
#define VMASK CK_F32_VMASK
#define VMASKLOAD CK_F32_VMASKLOAD
#define VMASKSTORE CK_F32_VMASKSTORE
