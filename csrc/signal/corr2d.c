/*
 * corr2d.c -- 2-D (and 1-D, as one row) single-channel direct cross-correlation: the portable
 * kernels, the run-time ISA dispatch and the threads (contract: cnnkern/ck_signal.h).
 *
 *   IN  x[out_h + kh - 1][x_pitch], w[kh][kw]      OUT y[out_h][y_pitch], overwritten
 *   y[r][c] = sum_{i<kh, j<kw} w[i][j] * x[r + i][c + j], summed in row-major (i, j) order by every
 *   ISA (the SIMD kernels differ from the generic one only by FMA contraction).
 *
 * The SIMD bodies are in corr2d_avx2.c / corr2d_avx512.c (per-function target attributes, no -m
 * flags); ck_cpu_isa() picks one per call. Threads: OpenMP over blocks of output rows (and column
 * chunks of long rows, see split_work), num_threads from the caller, no workspace, no global state.
 */
#include "cnnkern/ck_signal.h"
#include "cnnkern/ck_interrupt.h"

/* The plain reference: one output at a time. */
void ck_signal_corr_2d_rows__generic_f64(ck_index row_begin, ck_index row_end, ck_index out_w,
                                         const double *x, ck_index x_pitch, ck_index kh, ck_index kw,
                                         const double *w, double *y, ck_index y_pitch)
{
    for (ck_index r = row_begin; r < row_end; ++r)
        for (ck_index c = 0; c < out_w; ++c) {
            double acc = 0.0;
            for (ck_index i = 0; i < kh; ++i)
                for (ck_index j = 0; j < kw; ++j)
                    acc += w[i * kw + j] * x[(r + i) * x_pitch + c + j];
            y[r * y_pitch + c] = acc;
        }
}

void ck_signal_corr_2d_rows__generic_f32(ck_index row_begin, ck_index row_end, ck_index out_w,
                                         const float *x, ck_index x_pitch, ck_index kh, ck_index kw,
                                         const float *w, float *y, ck_index y_pitch)
{
    for (ck_index r = row_begin; r < row_end; ++r)
        for (ck_index c = 0; c < out_w; ++c) {
            float acc = 0.0f;
            for (ck_index i = 0; i < kh; ++i)
                for (ck_index j = 0; j < kw; ++j)
                    acc += w[i * kw + j] * x[(r + i) * x_pitch + c + j];
            y[r * y_pitch + c] = acc;
        }
}

typedef void (*corr_rows_f64)(ck_index, ck_index, ck_index, const double *, ck_index, ck_index,
                              ck_index, const double *, double *, ck_index);
typedef void (*corr_rows_f32)(ck_index, ck_index, ck_index, const float *, ck_index, ck_index,
                              ck_index, const float *, float *, ck_index);

/* The list (best ISA first; declarations in ck_signal.h) and its tables. */
#include "cnnkern/ck_simd_x86.h"
#if CK_SIMD_X86
#define CK_SIGNAL_CORR_KERNELS_X86(X)                                                                    \
    X(CK_ISA_AVX512, ck_signal_corr_2d_rows__avx512_f32, ck_signal_corr_2d_rows__avx512_f64)             \
    X(CK_ISA_AVX2, ck_signal_corr_2d_rows__avx2_f32, ck_signal_corr_2d_rows__avx2_f64)
#else
#define CK_SIGNAL_CORR_KERNELS_X86(X)
#endif
#define CK_SIGNAL_CORR_KERNELS(X)                                                                        \
    CK_SIGNAL_CORR_KERNELS_X86(X)                                                                        \
    X(CK_ISA_GENERIC, ck_signal_corr_2d_rows__generic_f32, ck_signal_corr_2d_rows__generic_f64)
#define CK_SIGNAL_CORR_ENTRY(isa, f32, f64) {isa, f32, f64},
static const struct {
    ck_isa isa;
    corr_rows_f32 f32;
    corr_rows_f64 f64;
} ck_signal_corr_table[] = {CK_SIGNAL_CORR_KERNELS(CK_SIGNAL_CORR_ENTRY)};

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

ck_status ck_signal_corr_2d__direct_f64(ck_index out_h, ck_index out_w, const double *x,
                                        ck_index x_pitch, ck_index kh, ck_index kw, const double *w,
                                        double *y, ck_index y_pitch, int num_threads)
{
    if (!corr_args_ok(out_h, out_w, x_pitch, kh, kw, y_pitch))
        return CK_ERR_INVALID;
    const corr_rows_f64 rows = CK_SELECT_ROW(ck_signal_corr_table)->f64;
    ck_index row_blocks, col_chunks, chunk;
    split_work(out_h, out_w, num_threads, &row_blocks, &col_chunks, &chunk);
    (void)num_threads;
#if CK_BUILD_OPENMP
#pragma omp parallel for schedule(static) num_threads(ck_team(num_threads, row_blocks * col_chunks)) if (num_threads > 1 && row_blocks * col_chunks > 1)
#endif
    for (ck_index item = 0; item < row_blocks * col_chunks; ++item) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        const ck_index rb = item / col_chunks, cb = item % col_chunks;
        const ck_index r0 = rb * CK_SIGNAL_ROWS_PER_BLOCK;
        const ck_index r1 = r0 + CK_SIGNAL_ROWS_PER_BLOCK < out_h ? r0 + CK_SIGNAL_ROWS_PER_BLOCK : out_h;
        const ck_index c0 = cb * chunk, c1 = cb == col_chunks - 1 ? out_w : c0 + chunk;
        rows(r0, r1, c1 - c0, x + c0, x_pitch, kh, kw, w, y + c0, y_pitch);
    }
    return CK_OK;
}

ck_status ck_signal_corr_2d__direct_f32(ck_index out_h, ck_index out_w, const float *x,
                                        ck_index x_pitch, ck_index kh, ck_index kw, const float *w,
                                        float *y, ck_index y_pitch, int num_threads)
{
    if (!corr_args_ok(out_h, out_w, x_pitch, kh, kw, y_pitch))
        return CK_ERR_INVALID;
    const corr_rows_f32 rows = CK_SELECT_ROW(ck_signal_corr_table)->f32;
    ck_index row_blocks, col_chunks, chunk;
    split_work(out_h, out_w, num_threads, &row_blocks, &col_chunks, &chunk);
    (void)num_threads;
#if CK_BUILD_OPENMP
#pragma omp parallel for schedule(static) num_threads(ck_team(num_threads, row_blocks * col_chunks)) if (num_threads > 1 && row_blocks * col_chunks > 1)
#endif
    for (ck_index item = 0; item < row_blocks * col_chunks; ++item) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        const ck_index rb = item / col_chunks, cb = item % col_chunks;
        const ck_index r0 = rb * CK_SIGNAL_ROWS_PER_BLOCK;
        const ck_index r1 = r0 + CK_SIGNAL_ROWS_PER_BLOCK < out_h ? r0 + CK_SIGNAL_ROWS_PER_BLOCK : out_h;
        const ck_index c0 = cb * chunk, c1 = cb == col_chunks - 1 ? out_w : c0 + chunk;
        rows(r0, r1, c1 - c0, x + c0, x_pitch, kh, kw, w, y + c0, y_pitch);
    }
    return CK_OK;
}
