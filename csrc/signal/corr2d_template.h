/*
 * corr2d_template.h -- the per-dtype part of corr2d.c (contract: cnnkern/ck_signal.h): the plain
 * reference kernel and the two entry points. Included once per dtype by corr2d.c with CK_T (element
 * type) and CK_DT (the name token, f32 / f64, also the field of ck_signal_corr_table).
 */

/* The plain reference: one output at a time. */
void CK_PASTE(ck_signal_corr_2d_rows__generic_, CK_DT)(ck_index row_begin, ck_index row_end,
                                                       ck_index out_w, const CK_T *x, ck_index x_pitch,
                                                       ck_index kh, ck_index kw, const CK_T *w, CK_T *y,
                                                       ck_index y_pitch)
{
    for (ck_index r = row_begin; r < row_end; ++r)
        for (ck_index c = 0; c < out_w; ++c) {
            CK_T acc = 0;
            for (ck_index i = 0; i < kh; ++i)
                for (ck_index j = 0; j < kw; ++j)
                    acc += w[i * kw + j] * x[(r + i) * x_pitch + c + j];
            y[r * y_pitch + c] = acc;
        }
}

/* The work items of split_work, between num_threads threads, each by `rows` (NULL: no such kernel). */
static ck_status CK_PASTE(corr_run_, CK_DT)(CK_PASTE(corr_rows_, CK_DT) rows, ck_index out_h,
                                            ck_index out_w, const CK_T *x, ck_index x_pitch, ck_index kh,
                                            ck_index kw, const CK_T *w, CK_T *y, ck_index y_pitch,
                                            int num_threads)
{
    if (rows == NULL || !corr_args_ok(out_h, out_w, x_pitch, kh, kw, y_pitch))
        return CK_ERR_INVALID;
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

ck_status CK_PASTE(ck_signal_corr_2d__direct_, CK_DT)(ck_index out_h, ck_index out_w, const CK_T *x,
                                                      ck_index x_pitch, ck_index kh, ck_index kw,
                                                      const CK_T *w, CK_T *y, ck_index y_pitch,
                                                      int num_threads)
{
    return CK_PASTE(corr_run_, CK_DT)(CK_SELECT_ROW(ck_signal_corr_table)->CK_DT, out_h, out_w, x, x_pitch,
                                      kh, kw, w, y, y_pitch, num_threads);
}

ck_status CK_PASTE(ck_signal_corr_2d__direct_isa_, CK_DT)(ck_isa isa, ck_index out_h, ck_index out_w,
                                                          const CK_T *x, ck_index x_pitch, ck_index kh,
                                                          ck_index kw, const CK_T *w, CK_T *y,
                                                          ck_index y_pitch)
{
    CK_PASTE(corr_rows_, CK_DT) rows = NULL;
    for (size_t i = 0; i < CK_SIGNAL_CORR_TABLE_ROWS; ++i)
        if (ck_signal_corr_table[i].isa == isa)
            rows = ck_signal_corr_table[i].CK_DT;
    return CK_PASTE(corr_run_, CK_DT)(rows, out_h, out_w, x, x_pitch, kh, kw, w, y, y_pitch, 1);
}
