/*
 * ck_omp.h -- OpenMP directives as one-line macros that vanish in a build without OpenMP
 * (CK_BUILD_OPENMP=0): CK_OMP(parallel num_threads(n)) is #pragma omp parallel num_threads(n).
 */
#ifndef CK_OMP_H
#define CK_OMP_H

#define CK_OMP_PRAGMA(...) _Pragma(#__VA_ARGS__)
#if CK_BUILD_OPENMP
#define CK_OMP(...) CK_OMP_PRAGMA(omp __VA_ARGS__)
#else
#define CK_OMP(...)
#endif

#endif /* CK_OMP_H */
