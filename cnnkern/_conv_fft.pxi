# Included by _conv_ext.pyx: the parts of the shim that serve algorithm "fft".
# Complex GEMM adapter (ck_gemm.h), fft plans (ck_conv.h), transform test entry points (ck_fft.h).
import numpy as _np

cdef extern from "cnnkern/ck_gemm.h" nogil:
    ctypedef void (*ck_cgemm_fortran_fn)(const char *, const char *, const int *, const int *, const int *,
                                         const void *, const void *, const int *, const void *,
                                         const int *, const void *, void *, const int *)
    void ck_gemm_install_complex(ck_cgemm_fortran_fn cgemm, ck_cgemm_fortran_fn zgemm)
    int ck_gemm_has_complex_blas(int dtype_size)
    void ck_cgemm_f64(int op_a, int op_b, ck_index M, ck_index N, ck_index K, const double *A, ck_index lda,
                      const double *B, ck_index ldb, int accumulate, double *C, ck_index ldc)

cdef extern from "cnnkern/ck_conv.h" nogil:
    ctypedef struct ck_conv_fft_plan:
        pass
    ck_status ck_conv_fft_plan_create(const ck_conv_params *p, ck_conv_direction dir, const ck_index *tile,
                                      size_t elem_size, ck_conv_fft_plan **out)
    void ck_conv_fft_plan_destroy(ck_conv_fft_plan *plan)
    void ck_conv_fft_plan_info(const ck_conv_fft_plan *plan, ck_index *n, ck_index *ntiles,
                               ck_index *block_tiles, size_t elem_size)
    size_t ck_conv_fft_spectrum_elems(const ck_conv_fft_plan *plan)
    ck_status ck_conv_fft_weight_spectrum_f32(const ck_conv_fft_plan *plan, const float *w, float *spec, int nt)
    ck_status ck_conv_fft_weight_spectrum_f64(const ck_conv_fft_plan *plan, const double *w, double *spec, int nt)
    ck_status ck_conv_fft_run_f32(const ck_conv_fft_plan *plan, const float *spec, const float *inp,
                                  const float *b, float *out, int nt)
    ck_status ck_conv_fft_run_f64(const ck_conv_fft_plan *plan, const double *spec, const double *inp,
                                  const double *b, double *out, int nt)
    ck_status ck_conv_fft_run_bwd_weight_f32(const ck_conv_fft_plan *plan, const float *dy, const float *x,
                                             float *dw, int nt)
    ck_status ck_conv_fft_run_bwd_weight_f64(const ck_conv_fft_plan *plan, const double *dy, const double *x,
                                             double *dw, int nt)

cdef extern from "cnnkern/ck_fft.h" nogil:
    ctypedef struct ck_fft_plan:
        pass
    ck_fft_plan *ck_fft_plan_create(const ck_index *n)
    void ck_fft_plan_destroy(ck_fft_plan *plan)
    ck_index ck_fft_scratch_elems(const ck_fft_plan *p)
    ck_index ck_fft_good_size(ck_index n, int even)
    void ck_fft_forward_f32(const ck_fft_plan *p, ck_index batch, const float *r, float *spec, float *scratch,
                            const ck_index *nonzero)
    void ck_fft_forward_f64(const ck_fft_plan *p, ck_index batch, const double *r, double *spec, double *scratch,
                            const ck_index *nonzero)
    void ck_fft_inverse_f32(const ck_fft_plan *p, ck_index batch, float *spec, float *r, float *scratch)
    void ck_fft_inverse_f64(const ck_fft_plan *p, ck_index batch, double *spec, double *r, double *scratch)
    void ck_fft_forward_lanes_f32(const ck_fft_plan *p, const float *r, float *sr, float *si, float *scratch,
                                  const ck_index *nonzero)
    void ck_fft_forward_lanes_f64(const ck_fft_plan *p, const double *r, double *sr, double *si, double *scratch,
                                  const ck_index *nonzero)
    void ck_fft_inverse_lanes_f32(const ck_fft_plan *p, float *sr, float *si, float *r, float *scratch)
    void ck_fft_inverse_lanes_f64(const ck_fft_plan *p, double *sr, double *si, double *r, double *scratch)


def _install_scipy_complex_blas(cython_blas):
    """Hand C SciPy's cgemm/zgemm (same Fortran ABI; complex alpha/beta by pointer)."""
    cdef void *c = NULL
    cdef void *z = NULL
    cap = cython_blas.__pyx_capi__
    if "cgemm" in cap:
        c = PyCapsule_GetPointer(cap["cgemm"], PyCapsule_GetName(cap["cgemm"]))
    if "zgemm" in cap:
        z = PyCapsule_GetPointer(cap["zgemm"], PyCapsule_GetName(cap["zgemm"]))
    ck_gemm_install_complex(<ck_cgemm_fortran_fn>c, <ck_cgemm_fortran_fn>z)


def gemm_has_complex_blas(int itemsize):
    """True if complex GEMMs with this component size (4 or 8) go to the installed BLAS."""
    return bool(ck_gemm_has_complex_blas(itemsize))


def cgemm_test(int op_a, int op_b, a, b, c, bint accumulate):
    """For tests: c (+)= op(a) @ op(b) through the complex128 adapter (a, b, c 2-D C-contiguous complex128)."""
    cdef double[:, ::1] av = a.view(_np.float64)
    cdef double[:, ::1] bv = b.view(_np.float64)
    cdef double[:, ::1] cv = c.view(_np.float64)
    cdef ck_index M = c.shape[0], N = c.shape[1]
    cdef ck_index K = a.shape[1] if op_a == 0 else a.shape[0]
    with nogil:
        ck_cgemm_f64(op_a, op_b, M, N, K, &av[0, 0], av.shape[1] // 2, &bv[0, 0], bv.shape[1] // 2,
                     1 if accumulate else 0, &cv[0, 0], cv.shape[1] // 2)


def fft_workspace(geom, int direction, int itemsize, int num_threads):
    return workspace("fft", geom, direction, itemsize, num_threads)


def fft_good_size(ck_index n, bint even=False):
    """Smallest 2^a 3^b 5^c >= n (even if asked): the transform sizes the fft algorithm uses."""
    return ck_fft_good_size(n, 1 if even else 0)


cdef class FFTPlan:
    """A C fft convolution plan (tiling and transform tables) for one direction; immutable.

    direction 0: (x, b) -> y; 1: dy -> dx; 2: (dy, x) -> dw. tile: 3 ints per spatial axis of the 3-D
    form (0 auto, -1 whole image, N tile transform size).
    """
    cdef ck_conv_fft_plan *plan
    cdef readonly int itemsize
    cdef readonly int direction

    def __cinit__(self, geom, int direction, tuple tile, int itemsize):
        cdef ck_conv_params p
        cdef ck_index t[3]
        cdef ck_status status
        _fill(&p, geom, 1)
        for i in range(3):
            t[i] = tile[i]
        self.itemsize = itemsize
        self.direction = direction
        _tok = interrupt_enter()
        with nogil:
            status = ck_conv_fft_plan_create(&p, <ck_conv_direction>direction, t, itemsize, &self.plan)
        status = interrupt_leave(_tok, status)
        _check(status, "fft plan")

    def __dealloc__(self):
        if self.plan != NULL:
            ck_conv_fft_plan_destroy(self.plan)
            self.plan = NULL

    def info(self):
        cdef ck_index n[3]
        cdef ck_index nt[3]
        cdef ck_index tb
        ck_conv_fft_plan_info(self.plan, n, nt, &tb, self.itemsize)
        return {"transform_size": (n[0], n[1], n[2]), "tiles": (nt[0], nt[1], nt[2]), "block_tiles": tb}

    def spectrum_elems(self):
        return ck_conv_fft_spectrum_elems(self.plan)

    def weight_spectrum(self, w, spec, int num_threads):
        """spec (1-D, 2 * spectrum_elems() REALs) = the kernel spectrum of w (flattened weight)."""
        cdef const float[::1] wf
        cdef float[::1] sf
        cdef const double[::1] wd
        cdef double[::1] sd
        cdef ck_status status
        if self.itemsize == 4:
            wf, sf = w, spec
            _tok = interrupt_enter()
            with nogil:
                status = ck_conv_fft_weight_spectrum_f32(self.plan, &wf[0], &sf[0], num_threads)
            status = interrupt_leave(_tok, status)
        else:
            wd, sd = w, spec
            _tok = interrupt_enter()
            with nogil:
                status = ck_conv_fft_weight_spectrum_f64(self.plan, &wd[0], &sd[0], num_threads)
            status = interrupt_leave(_tok, status)
        _check(status, "fft kernel spectrum")

    def run(self, spec, inp, b, out, int num_threads):
        """out = the plan's correlation of inp with the spectrum's kernel (+ b); flattened arrays."""
        cdef const float[::1] sf, xf, bf
        cdef float[::1] yf
        cdef const double[::1] sd, xd, bd
        cdef double[::1] yd
        cdef const float *bfp = NULL
        cdef const double *bdp = NULL
        cdef ck_status status
        if self.itemsize == 4:
            sf, xf, yf = spec, inp, out
            if b is not None:
                bf = b
                bfp = &bf[0]
            _tok = interrupt_enter()
            with nogil:
                status = ck_conv_fft_run_f32(self.plan, &sf[0], &xf[0], bfp, &yf[0], num_threads)
            status = interrupt_leave(_tok, status)
        else:
            sd, xd, yd = spec, inp, out
            if b is not None:
                bd = b
                bdp = &bd[0]
            _tok = interrupt_enter()
            with nogil:
                status = ck_conv_fft_run_f64(self.plan, &sd[0], &xd[0], bdp, &yd[0], num_threads)
            status = interrupt_leave(_tok, status)
        _check(status, "fft plan run")

    def run_bwd_weight(self, dy, x, dw, int num_threads):
        cdef const float[::1] dyf, xf
        cdef float[::1] dwf
        cdef const double[::1] dyd, xd
        cdef double[::1] dwd
        cdef ck_status status
        if self.itemsize == 4:
            dyf, xf, dwf = dy, x, dw
            _tok = interrupt_enter()
            with nogil:
                status = ck_conv_fft_run_bwd_weight_f32(self.plan, &dyf[0], &xf[0], &dwf[0], num_threads)
            status = interrupt_leave(_tok, status)
        else:
            dyd, xd, dwd = dy, x, dw
            _tok = interrupt_enter()
            with nogil:
                status = ck_conv_fft_run_bwd_weight_f64(self.plan, &dyd[0], &xd[0], &dwd[0], num_threads)
            status = interrupt_leave(_tok, status)
        _check(status, "fft plan backward-weight")


def fft_rfftn_test(x, bint inverse=False, shape=None):
    """For tests of the transform layer. Forward: x real (B, n0, n1, n2) -> complex (B, n0, n1, n2//2+1)
    (unnormalised, as numpy.fft.rfftn over the last three axes). Inverse: x complex (B, n0, n1, n2//2+1)
    and shape = (n0, n1, n2) -> real, times n0*n1*n2 (numpy.fft.irfftn * n)."""
    cdef ck_index n[3]
    if inverse:
        n[0], n[1], n[2] = shape
    else:
        n[0], n[1], n[2] = x.shape[1], x.shape[2], x.shape[3]
    cdef ck_fft_plan *plan = ck_fft_plan_create(n)
    if plan == NULL:
        raise ValueError(f"transform size {(n[0], n[1], n[2])} is not 2^a 3^b 5^c with an even last axis")
    try:
        real_dtype = x.real.dtype if inverse else x.dtype
        B = x.shape[0]
        scratch = _np.zeros(ck_fft_scratch_elems(plan), real_dtype)
        if inverse:
            spec = _np.ascontiguousarray(x).view(real_dtype).ravel().copy()
            out = _np.zeros(B * n[0] * n[1] * n[2], real_dtype)
        else:
            spec = _np.zeros(2 * B * n[0] * n[1] * (n[2] // 2 + 1), real_dtype)
            out = _np.ascontiguousarray(x).ravel()
        if real_dtype == _np.float32:
            _fft_run_f32(plan, B, inverse, out, spec, scratch)
        else:
            _fft_run_f64(plan, B, inverse, out, spec, scratch)
        if inverse:
            return out.reshape(B, n[0], n[1], n[2])
        return spec.view(_np.complex64 if real_dtype == _np.float32 else _np.complex128).reshape(
            B, n[0], n[1], n[2] // 2 + 1)
    finally:
        ck_fft_plan_destroy(plan)


cdef _fft_run_f32(ck_fft_plan *plan, ck_index B, bint inverse, float[::1] r, float[::1] s, float[::1] scr):
    with nogil:
        if inverse:
            ck_fft_inverse_f32(plan, B, &s[0], &r[0], &scr[0])
        else:
            ck_fft_forward_f32(plan, B, &r[0], &s[0], &scr[0], NULL)


cdef _fft_run_f64(ck_fft_plan *plan, ck_index B, bint inverse, double[::1] r, double[::1] s, double[::1] scr):
    with nogil:
        if inverse:
            ck_fft_inverse_f64(plan, B, &s[0], &r[0], &scr[0])
        else:
            ck_fft_forward_f64(plan, B, &r[0], &s[0], &scr[0], NULL)


def fft_rfftn_lanes_test(x, bint inverse=False, shape=None, nonzero=None):
    """For tests of the lane-interleaved transforms (ck_fft_*_lanes_*): as fft_rfftn_test with B equal to
    the lane count (16 float32, 8 float64), the images interleaved lane by lane around the C call.
    nonzero (forward only): (r0, r1), the rows of axes 0 and 1 outside which x is zero."""
    cdef ck_index n[3]
    cdef ck_index nz[2]
    if inverse:
        n[0], n[1], n[2] = shape
    else:
        n[0], n[1], n[2] = x.shape[1], x.shape[2], x.shape[3]
    cdef ck_fft_plan *plan = ck_fft_plan_create(n)
    if plan == NULL:
        raise ValueError(f"transform size {(n[0], n[1], n[2])} is not 2^a 3^b 5^c with an even last axis")
    cdef float[::1] rf, srf, sif, scf
    cdef double[::1] rd, srd, sid, scd
    cdef const ck_index *nzp = NULL
    if nonzero is not None:
        nz[0], nz[1] = nonzero
        nzp = nz
    try:
        real_dtype = x.real.dtype if inverse else x.dtype
        lanes = 16 if real_dtype == _np.float32 else 8
        if x.shape[0] != lanes:
            raise ValueError(f"the lane-interleaved transforms take {lanes} images of {real_dtype}")
        nh = n[2] // 2 + 1
        scratch = _np.zeros(ck_fft_scratch_elems(plan), real_dtype)
        if inverse:
            sr = _np.ascontiguousarray(_np.moveaxis(x.real, 0, -1), real_dtype).ravel()
            si = _np.ascontiguousarray(_np.moveaxis(x.imag, 0, -1), real_dtype).ravel()
            r = _np.zeros(lanes * n[0] * n[1] * n[2], real_dtype)
        else:
            r = _np.ascontiguousarray(_np.moveaxis(x, 0, -1)).ravel()
            sr = _np.zeros(lanes * n[0] * n[1] * nh, real_dtype)
            si = _np.zeros_like(sr)
        if real_dtype == _np.float32:
            rf, srf, sif, scf = r, sr, si, scratch
            with nogil:
                if inverse:
                    ck_fft_inverse_lanes_f32(plan, &srf[0], &sif[0], &rf[0], &scf[0])
                else:
                    ck_fft_forward_lanes_f32(plan, &rf[0], &srf[0], &sif[0], &scf[0], nzp)
        else:
            rd, srd, sid, scd = r, sr, si, scratch
            with nogil:
                if inverse:
                    ck_fft_inverse_lanes_f64(plan, &srd[0], &sid[0], &rd[0], &scd[0])
                else:
                    ck_fft_forward_lanes_f64(plan, &rd[0], &srd[0], &sid[0], &scd[0], nzp)
        if inverse:
            return _np.moveaxis(r.reshape(n[0], n[1], n[2], lanes), -1, 0)
        spec = sr + 1j * si.astype(_np.float64) if real_dtype == _np.float64 else (sr + 1j * si).astype(_np.complex64)
        return _np.moveaxis(spec.reshape(n[0], n[1], nh, lanes), -1, 0)
    finally:
        ck_fft_plan_destroy(plan)
