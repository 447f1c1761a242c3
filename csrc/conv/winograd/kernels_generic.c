/*
 * kernels_generic.c -- portable kernels of algorithm "winograd" (contract: winograd_internal.h):
 * the transforms of winograd_template.h with one channel per "vector", and the plain reference
 * ck_conv_winograd_reference_tile (the matrices of winograd_internal.h, multiplied out in double).
 * Any ISA runs these; the SIMD builds send them the channels left over after their full vectors.
 */
#include "winograd_internal.h"

#include "cnnkern/ck_simd_generic.h"
#include "winograd_dtypes.h"

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
static const double ck_wino_G5[6][5] = {
    {1, 0, 0, 0, 0},
    {-1.0 / 3, -1.0 / 3, -1.0 / 3, -1.0 / 3, -1.0 / 3},
    {1.0 / 3, -1.0 / 3, 1.0 / 3, -1.0 / 3, 1.0 / 3},
    {1.0 / 15, 2.0 / 15, 4.0 / 15, 8.0 / 15, 16.0 / 15},
    {-16.0 / 15, 8.0 / 15, -4.0 / 15, 2.0 / 15, -1.0 / 15},
    {0, 0, 0, 0, 1},
};
static const double ck_wino_AT2[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -0.5, 1}};

/* C[m][n] = A[m][k] @ (tb ? B[n][k]^T : B[k][n]), all row-major. */
static void ck_wino_ref_mm(const double *A, int m, int k, const double *B, int n, int tb, double *C)
{
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double s = 0;
            for (int a = 0; a < k; ++a)
                s += A[i * k + a] * (tb ? B[j * k + a] : B[a * n + j]);
            C[i * n + j] = s;
        }
}

void ck_conv_winograd_reference_tile(int r, const double d[36], const double *g, double *y)
{
    const int m = r == 5 ? 2 : 4;
    const double *G = r == 5 ? &ck_wino_G5[0][0] : &ck_wino_G[0][0];
    const double *AT = r == 5 ? &ck_wino_AT2[0][0] : &ck_wino_AT[0][0];
    double t[36], v[36], u[36], mm[36];
    ck_wino_ref_mm(&ck_wino_BT[0][0], 6, 6, d, 6, 0, t); /* v = BT d B */
    ck_wino_ref_mm(t, 6, 6, &ck_wino_BT[0][0], 6, 1, v);
    ck_wino_ref_mm(G, 6, r, g, r, 0, t); /* u = G g G^T */
    ck_wino_ref_mm(t, 6, r, G, 6, 1, u);
    for (int e = 0; e < 36; ++e)
        mm[e] = u[e] * v[e];
    ck_wino_ref_mm(AT, m, 6, mm, 6, 0, t); /* y = AT mm A */
    ck_wino_ref_mm(t, m, 6, AT, m, 1, y);
}
