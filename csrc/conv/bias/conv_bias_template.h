/*
 * conv_bias_template.h -- one dtype of the bias gradient (conv_bias.c). Included with REAL and
 * CONV_BWD_BIAS #defined (full function names, visible to grep).
 */

ck_status CONV_BWD_BIAS(const ck_conv_params *p, const REAL *dy, REAL *db)
{
    const ck_index plane = ck_conv_out_plane(p);
    CK_OMP(parallel for num_threads(ck_team(p->num_threads, p->out_channels)) schedule(static))
    for (ck_index k = 0; k < p->out_channels; ++k) {
        double acc[CK_BIAS_SUMS] = {0};
        for (ck_index n = 0; n < p->batch; ++n) {
            const REAL *row = dy + (n * p->out_channels + k) * plane;
            ck_index i = 0;
            for (; i + CK_BIAS_SUMS <= plane; i += CK_BIAS_SUMS)
                for (int j = 0; j < CK_BIAS_SUMS; ++j)
                    acc[j] += row[i + j];
            for (int j = 0; i < plane; ++i, ++j)
                acc[j] += row[i];
        }
        double s = acc[0];
        for (int j = 1; j < CK_BIAS_SUMS; ++j)
            s += acc[j];
        db[k] = (REAL)s;
    }
    return CK_OK;
}
