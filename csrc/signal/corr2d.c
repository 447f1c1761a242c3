/*
 * corr2d.c -- 2-D (and 1-D, as one row) single-channel direct cross-correlation: the portable
 * kernels, the run-time ISA dispatch and the threads (contract: cnnkern/ck_signal.h).
 *
 *   IN  x[out_h + kh - 1][x_pitch], w[kh][kw]      OUT y[out_h][y_pitch], overwritten
 *   y[r][c] = sum_{i<kh, j<kw} w[i][j] * x[r + i][c + j], summed in row-major (i, j) order by every
 *   ISA (the SIMD kernels differ from the generic one only by FMA contraction).
 *
 * The SIMD bodies are in corr2d_simd.c (per-function target attributes, no -m flags); ck_cpu_isa()
 * picks one per call. The per-dtype code (the plain reference and the entry points) is
 * corr2d_template.h, included once per dtype. Threads: OpenMP over blocks of output rows (and column
 * chunks of long rows, see split_work), num_threads from the caller, no workspace, no global state.
 */
#include "cnnkern/ck_signal.h"
#include "cnnkern/ck_interrupt.h"
#include "cnnkern/ck_simd_x86.h"

typedef void (*corr_rows_f32)(CK_SIGNAL_CORR_ROWS_ARGS(float));
typedef void (*corr_rows_f64)(CK_SIGNAL_CORR_ROWS_ARGS(double));

/* The kernels (declarations in ck_signal.h), best ISA first. */
CK_ISA_TABLE_F32_F64(ck_signal_corr_table, corr_rows_f32, corr_rows_f64, ck_signal_corr_2d_rows__);
#define CK_SIGNAL_CORR_TABLE_ROWS (sizeof ck_signal_corr_table / sizeof ck_signal_corr_table[0])

static int corr_args_ok(ck_index out_h, ck_index out_w, ck_index x_pitch, ck_index kh, ck_index kw,
                        ck_index y_pitch)
{
    return out_h >= 1 && out_w >= 1 && kh >= 1 && kw >= 1 && x_pitch >= out_w + kw - 1 &&
           y_pitch >= out_w;
}

/* Work items: blocks of CK_SIGNAL_ROWS_PER_BLOCK output rows; when there are too few rows for the
 * team (1-D signals are one row), each row is also cut into column chunks of at least
 * CK_SIGNAL_MIN_CHUNK outputs, the remainder going to the last chunk. Every chunk is then at least one
 * full SIMD tile wide (64 floats), so each output is computed by the same FMA sequence whatever the
 * split: results do not depend on the thread count. */
#define CK_SIGNAL_ROWS_PER_BLOCK 4
#define CK_SIGNAL_MIN_CHUNK 4096

static void split_work(ck_index out_h, ck_index out_w, int num_threads, ck_index *row_blocks,
                       ck_index *col_chunks, ck_index *chunk)
{
    *row_blocks = (out_h + CK_SIGNAL_ROWS_PER_BLOCK - 1) / CK_SIGNAL_ROWS_PER_BLOCK;
    *col_chunks = 1;
    *chunk = out_w;
    if (num_threads > 1 && *row_blocks < 4 * (ck_index)num_threads) {
        ck_index want = 4 * (ck_index)num_threads; /* a few chunks per thread for balance */
        ck_index c = (out_w + want - 1) / want;
        if (c < CK_SIGNAL_MIN_CHUNK)
            c = CK_SIGNAL_MIN_CHUNK;
        if (out_w / c > 1) {
            *col_chunks = out_w / c;
            *chunk = c;
        }
    }
}


#define CK_T float
#define CK_DT f32
#include "corr2d_template.h"
#undef CK_T
#undef CK_DT

#define CK_T double
#define CK_DT f64
#include "corr2d_template.h"
#undef CK_T
#undef CK_DT
