/*
 * conv_bias_template.h -- one dtype of the bias gradient (conv_bias.c). Included with REAL,
 * CONV_BWD_BIAS and BIAS_ADD_PLANE #defined (full function names, visible to grep).
 */

ck_status CONV_BWD_BIAS(const ck_conv_params *p, const REAL *dy, REAL *db)
{
    const ck_index plane = ck_conv_out_plane(p);
    CK_OMP(parallel for num_threads(ck_team(p->num_threads, p->out_channels)) schedule(static))
    for (ck_index k = 0; k < p->out_channels; ++k) {
        double acc[CK_BIAS_SUMS] = {0};
        for (ck_index n = 0; n < p->batch; ++n)
            BIAS_ADD_PLANE(acc, dy + (n * p->out_channels + k) * plane, plane);
        db[k] = (REAL)ck_bias_total(acc);
    }
    return CK_OK;
}
