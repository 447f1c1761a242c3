/*
 * winograd_scalar_ops.h -- the vector operations of winograd_template.h for one element per
 * "vector" (the portable kernels, kernels_generic.c). Included before each instantiation: the
 * template #undefs them at its end. No include guard on purpose.
 */
#define VL 1
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VADD(a, b) ((a) + (b))
#define VSUB(a, b) ((a) - (b))
#define VMUL(a, b) ((a) * (b))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VSET1(x) (x)
