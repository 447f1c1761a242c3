/*
 * ck_simd_select.h -- map the vocabulary of the ISA header included last (ck_simd_{generic,avx2,avx512}.h)
 * for the dtype CK_SIMD_DT(name)) names onto the short names the kernel templates use: REAL, VT, LANES,
 * VZERO, VLOAD, VSTORE, VBCAST, VSET1, VADD, VSUB, VMUL, VFMA, VHSUM, VMASK_T, VMASK, VMASKLOAD,
 * VMASKSTORE, VTRANSPOSE (the mask and transpose names exist for avx2 / avx512 only), and the
 * register-tile loops VZERO_TILE, VSTORE_TILE built on them. Included by ck_simd_f32.h / ck_simd_f64.h,
 * which define CK_SIMD_DT and CK_SIMD_REAL.
 * No include guard: included again after switching ISA or dtype.
 */
#undef REAL
#undef VT
#undef LANES
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VBCAST
#undef VFMA
#undef VADD
#undef VSUB
#undef VMUL
#undef VSET1
#undef VHSUM
#undef VMASK_T
#undef VMASK
#undef VMASKLOAD
#undef VMASKSTORE
#undef VTRANSPOSE
#define REAL CK_SIMD_REAL
#define VT CK_SIMD_DT(VT)
#define LANES CK_SIMD_DT(LANES)
#define VZERO CK_SIMD_DT(VZERO)
#define VLOAD CK_SIMD_DT(VLOAD)
#define VSTORE CK_SIMD_DT(VSTORE)
#define VBCAST CK_SIMD_DT(VBCAST)
#define VFMA CK_SIMD_DT(VFMA)
#define VADD CK_SIMD_DT(VADD)
#define VSUB CK_SIMD_DT(VSUB)
#define VMUL CK_SIMD_DT(VMUL)
#define VSET1 CK_SIMD_DT(VSET1)
#define VHSUM CK_SIMD_DT(VHSUM)
#define VMASK_T CK_SIMD_DT(VMASK_T)
#define VMASK CK_SIMD_DT(VMASK)
#define VMASKLOAD CK_SIMD_DT(VMASKLOAD)
#define VMASKSTORE CK_SIMD_DT(VMASKSTORE)
#define VTRANSPOSE CK_SIMD_DT(VTRANSPOSE)

/* Register tiles a[NI][NJ] of vectors (NI, NJ compile-time constants after inlining: fully unrolled):
 * VZERO_TILE zeroes one, VSTORE_TILE stores it to p[i * ld + j * LANES]. */
#undef VZERO_TILE
#undef VSTORE_TILE
#define VZERO_TILE(a, NI, NJ)                                                                            \
    _Pragma("GCC unroll 8") for (int i_ = 0; i_ < (NI); ++i_)                                            \
        _Pragma("GCC unroll 8") for (int j_ = 0; j_ < (NJ); ++j_) (a)[i_][j_] = VZERO()
#define VSTORE_TILE(p, ld, a, NI, NJ)                                                                    \
    _Pragma("GCC unroll 8") for (int i_ = 0; i_ < (NI); ++i_)                                            \
        _Pragma("GCC unroll 8") for (int j_ = 0; j_ < (NJ); ++j_) VSTORE((p) + i_ * (ld) + j_ * LANES, (a)[i_][j_])
