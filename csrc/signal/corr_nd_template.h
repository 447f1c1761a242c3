/*
 * corr_nd_template.h -- body of the N-D direct correlation (contract: cnnkern/ck_signal.h).
 * Included once per dtype by corr_nd.c with CK_T (element type) and CK_CORR_ND (function name).
 *
 * Loop order: for each output row (all axes but the last, split between threads), for each kernel
 * row, for each tap of that kernel row, y_row[0:OL] += w_tap * x_row[tap : tap + OL]. The innermost
 * loop runs over contiguous memory with a scalar weight, which the compiler vectorises.
 */
ck_status CK_CORR_ND(int ndim, const ck_index *x_shape, const CK_T *x, const ck_index *w_shape,
                     const CK_T *w, CK_T *y, int num_threads)
{
    if (ndim < 1 || ndim > CK_SIGNAL_MAX_NDIM)
        return CK_ERR_INVALID;
    ck_index y_shape[CK_SIGNAL_MAX_NDIM], x_stride[CK_SIGNAL_MAX_NDIM];
    ck_index out_rows = 1, kernel_rows = 1;
    for (int d = 0; d < ndim; ++d) {
        if (w_shape[d] < 1 || w_shape[d] > x_shape[d])
            return CK_ERR_INVALID;
        y_shape[d] = x_shape[d] - w_shape[d] + 1;
        if (d < ndim - 1) {
            out_rows *= y_shape[d];
            kernel_rows *= w_shape[d];
        }
    }
    x_stride[ndim - 1] = 1;
    for (int d = ndim - 2; d >= 0; --d)
        x_stride[d] = x_stride[d + 1] * x_shape[d + 1];
    const ck_index out_len = y_shape[ndim - 1];
    const ck_index taps = w_shape[ndim - 1];
    (void)num_threads;

#if CK_BUILD_OPENMP
#pragma omp parallel for schedule(static) num_threads(ck_team(num_threads, out_rows)) if (num_threads > 1)
#endif
    for (ck_index row = 0; row < out_rows; ++row) {
        if (ck_interrupt_pending()) continue; /* Ctrl-C (ck_interrupt.h) */
        /* the output row's multi-index -> offset of its first input element */
        ck_index o_idx[CK_SIGNAL_MAX_NDIM];
        ck_index rest = row, x_base = 0;
        for (int d = ndim - 2; d >= 0; --d) {
            o_idx[d] = rest % y_shape[d];
            rest /= y_shape[d];
            x_base += o_idx[d] * x_stride[d];
        }
        CK_T *y_row = y + row * out_len;
        for (ck_index j = 0; j < out_len; ++j)
            y_row[j] = 0;
        ck_index k_idx[CK_SIGNAL_MAX_NDIM];
        for (int d = 0; d < ndim - 1; ++d)
            k_idx[d] = 0;
        ck_index k_off = 0; /* sum_d k_idx[d] * x_stride[d] */
        for (ck_index krow = 0; krow < kernel_rows; ++krow) {
            const CK_T *x_row = x + x_base + k_off;
            const CK_T *w_row = w + krow * taps;
            for (ck_index t = 0; t < taps; ++t) {
                const CK_T wt = w_row[t];
                const CK_T *xs = x_row + t;
                for (ck_index j = 0; j < out_len; ++j)
                    y_row[j] += wt * xs[j];
            }
            /* odometer step over the kernel's leading axes */
            for (int d = ndim - 2; d >= 0; --d) {
                if (++k_idx[d] < w_shape[d]) {
                    k_off += x_stride[d];
                    break;
                }
                k_off -= (w_shape[d] - 1) * x_stride[d];
                k_idx[d] = 0;
            }
        }
    }
    return CK_OK;
}
