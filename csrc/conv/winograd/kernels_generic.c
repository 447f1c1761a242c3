/*
 * kernels_generic.c -- portable kernels of algorithm "winograd" (contract: winograd_internal.h):
 * the transforms of winograd_template.h with one channel per "vector", and the plain reference
 * ck_conv_winograd_reference_tile (the matrices of winograd_internal.h, multiplied out in double).
 * Any ISA runs these; the SIMD builds send them the channels left over after their full vectors.
 */
#include "winograd_internal.h"

#define WT float
#define VT float
#include "winograd_scalar_ops.h"
#define WFN(name) name##__generic_f32
#define WTARGET
#include "winograd_template.h"

#define WT double
#define VT double
#include "winograd_scalar_ops.h"
#define WFN(name) name##__generic_f64
#include "winograd_template.h"

static const double ck_wino_BT[6][6] = {
    {1, 1.5, -2, -1.5, 1, 0},  {0, -1, -2.5, -0.5, 1, 0}, {0, 1, 0.5, -2.5, 1, 0},
    {0, -0.5, -1, 0.5, 1, 0},  {0, 2, -1, -2, 1, 0},      {0, 1, 1.5, -2, -1.5, 1},
};
static const double ck_wino_G[6][3] = {
    {1, 0, 0}, {-1.0 / 3, -1.0 / 3, -1.0 / 3}, {1.0 / 3, -1.0 / 3, 1.0 / 3},
    {1.0 / 15, 2.0 / 15, 4.0 / 15}, {-16.0 / 15, 8.0 / 15, -4.0 / 15}, {0, 0, 1},
};
static const double ck_wino_AT[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -0.5, 0}, {0, 1, 1, 4, 0.25, 0}, {0, 1, -1, 8, -0.125, 1},
};

void ck_conv_winograd_reference_tile(const double d[36], const double g[9], double y[16])
{
    double v[6][6], u[6][6], m[6][6], t[6][6];
    /* v = BT d B */
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
            double s = 0;
            for (int a = 0; a < 6; ++a)
                s += ck_wino_BT[i][a] * d[6 * a + j];
            t[i][j] = s;
        }
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
            double s = 0;
            for (int b = 0; b < 6; ++b)
                s += t[i][b] * ck_wino_BT[j][b];
            v[i][j] = s;
        }
    /* u = G g G^T */
    for (int i = 0; i < 6; ++i)
        for (int b = 0; b < 3; ++b) {
            double s = 0;
            for (int a = 0; a < 3; ++a)
                s += ck_wino_G[i][a] * g[3 * a + b];
            t[i][b] = s;
        }
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
            double s = 0;
            for (int b = 0; b < 3; ++b)
                s += t[i][b] * ck_wino_G[j][b];
            u[i][j] = s;
        }
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j)
            m[i][j] = u[i][j] * v[i][j];
    /* y = AT m A */
    for (int p = 0; p < 4; ++p)
        for (int j = 0; j < 6; ++j) {
            double s = 0;
            for (int a = 0; a < 6; ++a)
                s += ck_wino_AT[p][a] * m[a][j];
            t[p][j] = s;
        }
    for (int p = 0; p < 4; ++p)
        for (int q = 0; q < 4; ++q) {
            double s = 0;
            for (int j = 0; j < 6; ++j)
                s += t[p][j] * ck_wino_AT[q][j];
            y[4 * p + q] = s;
        }
}
