/*
 * pool_kernels.c -- the dispatch tables of the pooling row kernels (contract: pool_kernels.h).
 * One static table per dtype, built from the X-macro list; selection is CK_SELECT_ROW (ck_common.h).
 */
#include "pool_kernels.h"

#define CK_POOL_TABLE_ENTRY(ISA, mc, sc, m1, m2, s1, s2) {ISA, mc, sc, m1, m2, s1, s2},
static const ck_pool_kernel_set_f32 ck_pool_table_f32[] = {CK_POOL_F32_KERNELS(CK_POOL_TABLE_ENTRY)};
static const ck_pool_kernel_set_f64 ck_pool_table_f64[] = {CK_POOL_F64_KERNELS(CK_POOL_TABLE_ENTRY)};

const ck_pool_kernel_set_f32 *ck_pool_select_f32(void) { return CK_SELECT_ROW(ck_pool_table_f32); }
const ck_pool_kernel_set_f64 *ck_pool_select_f64(void) { return CK_SELECT_ROW(ck_pool_table_f64); }
