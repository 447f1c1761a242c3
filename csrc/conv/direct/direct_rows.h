/*
 * direct_rows.h -- the packed row-block geometry that the direct operator's forward and weight
 * gradient share (conv_direct.c describes the layout), and its small dtype-independent steps.
 * Only conv_direct.c includes it, after its ck_direct_cdiv / ck_direct_min helpers.
 *
 * A block of RH output rows of one (n, od) reads, per input channel, the packed input
 *     [kd valid][W slot][H slot][NR = RH + maxA rows][J]
 * and output row r, column ox of tap (kd, kh, kw) reads (r + ky_shift[kh])*J + ox + kx_shift[kw] of
 * the (kd, kx_slot[kw], ky_slot[kh]) slab.
 */
#ifndef CK_DIRECT_ROWS_H
#define CK_DIRECT_ROWS_H

#include "cnnkern/ck_conv.h"
#include "cnnkern/ck_omp.h"
#include "direct_axis_slots.h"

typedef struct ck_direct_rows {
    ck_index *geo;                              /* one allocation holding the six tables below */
    ck_index *kx_slot, *kx_shift, *wslot_phase; /* W taps [KW] (ck_direct_axis_slots) */
    ck_index *ky_slot, *ky_shift, *hslot_phase; /* H taps [KH] */
    ck_index NS, NHS;                           /* W / H phase slots used */
    ck_index J;                                 /* packed row length: OW + (KW-1)*dw/sw */
    ck_index maxA;                              /* largest H shift: (KH-1)*dh/sh */
    ck_index RH, nhb, NR, slab;                 /* rows per block, blocks per plane, RH + maxA, NR*J */
} ck_direct_rows;

/* The tap tables of both axes; 0 when out of memory. Release with ck_aligned_free(g->geo). */
static inline int ck_direct_rows_init(const ck_conv_params *p, ck_direct_rows *g)
{
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2];
    g->geo = (ck_index *)ck_aligned_alloc((size_t)(3 * KW + 3 * KH) * sizeof(ck_index));
    if (!g->geo)
        return 0;
    g->kx_slot = g->geo;
    g->kx_shift = g->geo + KW;
    g->wslot_phase = g->geo + 2 * KW;
    g->ky_slot = g->geo + 3 * KW;
    g->ky_shift = g->geo + 3 * KW + KH;
    g->hslot_phase = g->geo + 3 * KW + 2 * KH;
    g->NS = ck_direct_axis_slots(p, 2, g->kx_slot, g->kx_shift, g->wslot_phase);
    g->NHS = ck_direct_axis_slots(p, 1, g->ky_slot, g->ky_shift, g->hslot_phase);
    g->J = p->out_size[2] + ((KW - 1) * p->dilation[2]) / p->stride[2];
    g->maxA = ((KH - 1) * p->dilation[1]) / p->stride[1];
    return 1;
}

/* Packed input elements of one block of RH rows (all Cg channels, every kd tap). */
static inline size_t ck_direct_rows_block_elems(const ck_conv_params *p, const ck_direct_rows *g, ck_index RH)
{
    return (size_t)(ck_conv_in_per_group(p) * p->kernel_size[0] * g->NS * g->NHS * (RH + g->maxA) * g->J);
}

/* Rows per block: about `cols` flattened columns, packed input <= max_bytes of elem_size elements,
 * and (min_tasks > 0) at least min_tasks blocks over the batch; then balanced over the plane. */
static inline void ck_direct_rows_set_block(const ck_conv_params *p, ck_direct_rows *g, ck_index cols,
                                            size_t max_bytes, size_t elem_size, ck_index min_tasks)
{
    const ck_index OH = p->out_size[1], NOD = p->batch * p->out_size[0];
    ck_index RH = ck_direct_min(OH, ck_direct_cdiv(cols, g->J));
    while (RH > 1 && ck_direct_rows_block_elems(p, g, RH) * elem_size > max_bytes)
        --RH;
    while (RH > 1 && NOD * ck_direct_cdiv(OH, RH) < min_tasks)
        --RH;
    g->RH = ck_direct_cdiv(OH, ck_direct_cdiv(OH, RH)); /* same number of blocks, balanced sizes */
    g->nhb = ck_direct_cdiv(OH, g->RH);
    g->NR = g->RH + g->maxA;
    g->slab = g->NR * g->J;
}

/* The kd taps of output plane od that read inside the input: rd_src[i] = offset of input plane id,
 * rd_kd[i] = kd. Returns their number (0: every tap of the plane reads padding). */
static inline ck_index ck_direct_depth_taps(const ck_conv_params *p, ck_index od, ck_index *rd_src,
                                            ck_index *rd_kd)
{
    ck_index nrd = 0;
    for (ck_index kd = 0; kd < p->kernel_size[0]; ++kd) {
        const ck_index id = od * p->stride[0] + kd * p->dilation[0] - p->pad_before[0];
        if (id < 0 || id >= p->in_size[0])
            continue;
        rd_src[nrd] = id * p->in_size[1] * p->in_size[2];
        rd_kd[nrd] = kd;
        ++nrd;
    }
    return nrd;
}

/* The (kd valid, kh, kw) taps of one packed channel, in that order: xoff[t] = xbase + the tap's
 * offset in the channel's packed block, woff[t] = wbase + wmul * (kd*KH + kh)*KW + kw. Returns the
 * number written (nrd * KH * KW). */
static inline ck_index ck_direct_tap_list(const ck_conv_params *p, const ck_direct_rows *g, ck_index nrd,
                                          const ck_index *rd_kd, ck_index xbase, ck_index wbase, ck_index wmul,
                                          ck_index *xoff, ck_index *woff)
{
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2];
    ck_index n = 0;
    for (ck_index r = 0; r < nrd; ++r)
        for (ck_index kh = 0; kh < KH; ++kh)
            for (ck_index kx = 0; kx < KW; ++kx) {
                xoff[n] = xbase +
                          (((r * g->NS + g->kx_slot[kx]) * g->NHS + g->ky_slot[kh]) * g->NR + g->ky_shift[kh]) * g->J +
                          g->kx_shift[kx];
                woff[n] = wbase + wmul * ((rd_kd[r] * KH + kh) * KW + kx);
                ++n;
            }
    return n;
}

/* Backward-input at stride sw > 1, phases a < nph of the dx columns along W: the taps kx with
 * (a + pbw - kx*dw) % sw == 0 read dy column offset (a + pbw - kx*dw) / sw. Fills ph_n[a], and
 * ph_kx / ph_off [a*KW + i] for i < ph_n[a]; *minoff / *maxoff get the offsets' range (0 if none). */
static inline void ck_direct_w_phases(const ck_conv_params *p, ck_index nph, ck_index *ph_n, ck_index *ph_kx,
                                      ck_index *ph_off, ck_index *minoff, ck_index *maxoff)
{
    const ck_index KW = p->kernel_size[2], sw = p->stride[2], dw = p->dilation[2], pbw = p->pad_before[2];
    int any = 0;
    *minoff = *maxoff = 0;
    for (ck_index a = 0; a < nph; ++a) {
        ph_n[a] = 0;
        for (ck_index kx = 0; kx < KW; ++kx) {
            const ck_index num = a + pbw - kx * dw;
            if (ck_direct_fmod(num, sw) != 0)
                continue;
            const ck_index off = num / sw;
            ph_kx[a * KW + ph_n[a]] = kx;
            ph_off[a * KW + ph_n[a]] = off;
            ++ph_n[a];
            if (!any || off < *minoff)
                *minoff = off;
            if (!any || off > *maxoff)
                *maxoff = off;
            any = 1;
        }
    }
}

/* Backward-input: the (kd, kh) taps that reach input row (id, ih) from an output row,
 * (i + pb - t*d) = o*s with 0 <= o < O: row_src = offset of dy row (od, oh) in a plane,
 * row_w = (kd*KH + kh)*KW. Returns their number. */
static inline ck_index ck_direct_input_row_taps(const ck_conv_params *p, ck_index id, ck_index ih,
                                                ck_index *row_src, ck_index *row_w)
{
    const ck_index KH = p->kernel_size[1], KW = p->kernel_size[2];
    const ck_index OD = p->out_size[0], OH = p->out_size[1], OW = p->out_size[2];
    ck_index nrho = 0;
    for (ck_index kd = 0; kd < p->kernel_size[0]; ++kd) {
        const ck_index rd = id + p->pad_before[0] - kd * p->dilation[0];
        if (rd < 0 || rd % p->stride[0] != 0 || rd / p->stride[0] >= OD)
            continue;
        const ck_index od = rd / p->stride[0];
        for (ck_index kh = 0; kh < KH; ++kh) {
            const ck_index rh = ih + p->pad_before[1] - kh * p->dilation[1];
            if (rh < 0 || rh % p->stride[1] != 0 || rh / p->stride[1] >= OH)
                continue;
            const ck_index oh = rh / p->stride[1];
            row_src[nrho] = (od * OH + oh) * OW;
            row_w[nrho] = (kd * KH + kh) * KW;
            ++nrho;
        }
    }
    return nrho;
}

/* Backward-weight work split (see conv_direct.c): items = (chunk of row blocks, group, block of KC
 * output channels). Channel blocks give every thread work (no sum changes); chunks of bcs row blocks
 * (nrc of them, from the problem only, never the thread count) when there are fewer than 8 BK-blocks
 * of output channels. */
typedef struct ck_direct_bww_split {
    ck_index KC, nkc; /* output channels per item, items per group */
    ck_index nrc, bcs; /* row-block chunks, row blocks per chunk */
} ck_direct_bww_split;

static inline ck_direct_bww_split ck_direct_bww_plan(ck_index G, ck_index Kg, ck_index BK, ck_index NB, ck_index nt)
{
    ck_direct_bww_split s;
    s.KC = ck_direct_cdiv(Kg, BK) * BK;
    s.nkc = 1;
    if (G < nt) {
        s.nkc = ck_direct_min(ck_direct_cdiv(Kg, BK), ck_direct_cdiv(nt, G));
        s.KC = ck_direct_cdiv(ck_direct_cdiv(Kg, s.nkc), BK) * BK;
        s.nkc = ck_direct_cdiv(Kg, s.KC);
    }
    const ck_index units = G * ck_direct_cdiv(Kg, BK), nrc_target = 8;
    s.nrc = 1;
    if (units < nrc_target)
        s.nrc = ck_direct_min(NB, ck_direct_cdiv(nrc_target, units));
    s.bcs = ck_direct_cdiv(NB, s.nrc);
    s.nrc = ck_direct_cdiv(NB, s.bcs);
    return s;
}

/* Record an allocation failure of one worker (the others still run to the end of the region). */
static inline void ck_direct_flag_error(int *err)
{
    CK_OMP(atomic write)
    *err = 1;
}

#endif /* CK_DIRECT_ROWS_H */
