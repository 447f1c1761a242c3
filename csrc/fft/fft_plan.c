/*
 * fft_plan.c -- transform sizes and plans of the fft transform layer (contract: cnnkern/ck_fft.h).
 *
 * A plan holds, per axis, the Stockham stage list (radix 8 first on lines of >= CK_FFT_RADIX8_MIN, then
 * 4, 2, 3, 5) and its twiddle tables, computed in double and rounded once to float, plus the
 * post-processing twiddles of the real axis. Plans are read-only after creation.
 */
#include "cnnkern/ck_fft.h"
#include "fft_kernels.h"

#include <math.h>

#ifndef CK_FFT_RADIX8_MIN
#define CK_FFT_RADIX8_MIN 512
#endif
#define CK_TWO_PI 6.28318530717958647692528676655900577
#include <stdlib.h>
#include <string.h>


int ck_fft_is_good_size(ck_index n)
{
    if (n < 1)
        return 0;
    while (n % 2 == 0) n /= 2;
    while (n % 3 == 0) n /= 3;
    while (n % 5 == 0) n /= 5;
    return n == 1;
}

ck_index ck_fft_good_size(ck_index n, int even)
{
    ck_index m = n < 1 ? 1 : n;
    if (even && m % 2)
        ++m;
    while (!ck_fft_is_good_size(m))
        m += even ? 2 : 1;
    return m;
}

static void free_1d(ck_fft_1d *t)
{
    free(t->tw64);
    free(t->tw32);
    t->tw64 = NULL;
    t->tw32 = NULL;
}

static int init_1d(ck_fft_1d *t, ck_index n)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    ck_index rest = n;
    /* radix 8 only for long lines: 1152x1152 float64 per image 3.9 -> 3.5 ms, 1024x1024 2.8 -> 2.6 ms,
     * 256x256 no change, but 8 lane-interleaved 64x128 images 56 -> 64 us and 128x128 118 -> 145 us
     * (AVX-512, CPU time, min of 15) */
    if (n >= CK_FFT_RADIX8_MIN)
        while (rest % 8 == 0) { t->radix[t->nstages++] = 8; rest /= 8; }
    while (rest % 4 == 0) { t->radix[t->nstages++] = 4; rest /= 4; }
    while (rest % 2 == 0) { t->radix[t->nstages++] = 2; rest /= 2; }
    while (rest % 3 == 0) { t->radix[t->nstages++] = 3; rest /= 3; }
    while (rest % 5 == 0) { t->radix[t->nstages++] = 5; rest /= 5; }
    if (rest != 1)
        return 0;
    ck_index total = 0, ns = 1;
    for (int s = 0; s < t->nstages; ++s) {
        t->tw_offset[s] = total;
        total += ns * (t->radix[s] - 1);
        ns *= t->radix[s];
    }
    t->tw64 = malloc(sizeof(double) * 2 * (size_t)(total + 1));
    t->tw32 = malloc(sizeof(float) * 2 * (size_t)(total + 1));
    if (!t->tw64 || !t->tw32) {
        free_1d(t);
        return 0;
    }
    ns = 1;
    for (int s = 0; s < t->nstages; ++s) {
        const int r = t->radix[s];
        for (ck_index k = 0; k < ns; ++k)
            for (int q = 1; q < r; ++q) {
                const ck_index e = t->tw_offset[s] + k * (r - 1) + (q - 1);
                /* reduce the angle k*q/(ns*r) exactly in integers before the trig call */
                const ck_index num = (k * q) % (ns * r);
                const double a = -CK_TWO_PI * (double)num / (double)(ns * r);
                t->tw64[2 * e] = cos(a);
                t->tw64[2 * e + 1] = sin(a);
                t->tw32[2 * e] = (float)t->tw64[2 * e];
                t->tw32[2 * e + 1] = (float)t->tw64[2 * e + 1];
            }
        ns *= r;
    }
    return 1;
}

ck_fft_plan *ck_fft_plan_create(const ck_index n[3])
{
    if (!ck_fft_is_good_size(n[0]) || !ck_fft_is_good_size(n[1]) || !ck_fft_is_good_size(n[2]) || n[2] % 2)
        return NULL;
    ck_fft_plan *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    memcpy(p->n, n, sizeof p->n);
    p->nh = n[2] / 2 + 1;
    int ok = init_1d(&p->axis[0], n[0]) && init_1d(&p->axis[1], n[1]) && init_1d(&p->half, n[2] / 2);
    p->post64 = malloc(sizeof(double) * 2 * (size_t)p->nh);
    p->post32 = malloc(sizeof(float) * 2 * (size_t)p->nh);
    if (!ok || !p->post64 || !p->post32) {
        ck_fft_plan_destroy(p);
        return NULL;
    }
    for (ck_index k = 0; k < p->nh; ++k) {
        const double a = -CK_TWO_PI * (double)k / (double)n[2];
        p->post64[2 * k] = cos(a);
        p->post64[2 * k + 1] = sin(a);
        p->post32[2 * k] = (float)p->post64[2 * k];
        p->post32[2 * k + 1] = (float)p->post64[2 * k + 1];
    }
    return p;
}

void ck_fft_plan_destroy(ck_fft_plan *p)
{
    if (!p)
        return;
    free_1d(&p->axis[0]);
    free_1d(&p->axis[1]);
    free_1d(&p->half);
    free(p->post64);
    free(p->post32);
    free(p);
}

ck_index ck_fft_scratch_elems(const ck_fft_plan *p)
{
    return 4 * ck_fft__main_buf(p); /* layout: fft_kernels.h */
}
