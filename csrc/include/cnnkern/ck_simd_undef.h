/*
 * ck_simd_undef.h -- forget the ISA and dtype vocabulary of ck_simd_{generic,avx2,avx512}.h, so that one
 * translation unit can include several ISA headers in turn (each ISA header includes this first).
 * No include guard on purpose.
 */
#undef CK_ISA_TOKEN
#undef CK_TARGET_STRING
#undef CK_TARGET
#undef CK_TARGET_BEGIN
#undef CK_TARGET_END
#undef CK_VBYTES
#undef CK_F32_VT
#undef CK_F32_LANES
#undef CK_F32_VZERO
#undef CK_F32_VLOAD
#undef CK_F32_VSTORE
#undef CK_F32_VBCAST
#undef CK_F32_VFMA
#undef CK_F32_VADD
#undef CK_F32_VSUB
#undef CK_F32_VMUL
#undef CK_F32_VSET1
#undef CK_F32_VHSUM
#undef CK_F32_VMASK_T
#undef CK_F32_VMASK
#undef CK_F32_VMASKLOAD
#undef CK_F32_VMASKSTORE
#undef CK_F32_VTRANSPOSE
#undef CK_F64_VT
#undef CK_F64_LANES
#undef CK_F64_VZERO
#undef CK_F64_VLOAD
#undef CK_F64_VSTORE
#undef CK_F64_VBCAST
#undef CK_F64_VFMA
#undef CK_F64_VADD
#undef CK_F64_VSUB
#undef CK_F64_VMUL
#undef CK_F64_VSET1
#undef CK_F64_VHSUM
#undef CK_F64_VMASK_T
#undef CK_F64_VMASK
#undef CK_F64_VMASKLOAD
#undef CK_F64_VMASKSTORE
#undef CK_F64_VTRANSPOSE
