"""An independent NumPy oracle for pooling: plain loops over output positions and window taps,
vectorised only across planes (N*C). It never calls cnnkern's C code and shares no code with
cnnkern.pooling; everything is computed in float64.

Semantics written down from PyTorch's definitions:
  * window of output o on an axis: taps at o*stride - pad + t*dilation, t = 0..kernel-1;
  * the number of windows is found by enumeration: a window is kept while it ends inside the right
    padding (floor mode), or (ceil mode) while it overhangs the right padding by less than one stride
    and starts inside the input or the left padding;
  * max/min: running best starting at -inf/+inf and the index of the first tap at a non-negative
    position; a tap replaces it when strictly better or NaN;
  * avg: divisor = number (or weight sum) of the taps whose position is inside the input
    (count_include_pad=False) or below in+pad on every axis (count_include_pad=True), or
    divisor_override;
  * lp: (kernel numel * sum(x**p) / taps inside) ** (1/p);
  * adaptive: window [floor(o*in/out), ceil((o+1)*in/out)).
"""
import itertools

import numpy as np


def as_tuple(v, d):
    if isinstance(v, (list, tuple)):
        assert len(v) == d
        return tuple(int(t) for t in v)
    return (int(v),) * d


def n_windows(n, k, s, p, dil, ceil_mode):
    eff = dil * (k - 1) + 1
    o = 0
    while True:
        start = o * s - p
        end = start + eff  # one past the last tap
        if ceil_mode:
            ok = (end - (n + p) < s) and start < n
        else:
            ok = end <= n + p
        if not ok:
            return o
        o += 1


def _planes(x, d):
    x = np.asarray(x, dtype=np.float64)
    lead = x.shape[:-d]
    return x.reshape((-1,) + x.shape[-d:]), lead


def _geometry(x, d, kernel_size, stride, padding, dilation, ceil_mode):
    k = as_tuple(kernel_size, d)
    s = k if stride is None else as_tuple(stride, d)
    p = as_tuple(padding, d)
    dl = as_tuple(dilation, d)
    in_size = np.shape(x)[-d:]
    out = tuple(n_windows(n, ki, si, pi, di, ceil_mode)
                for n, ki, si, pi, di in zip(in_size, k, s, p, dl))
    return k, s, p, dl, in_size, out


def _flat_index(pos, in_size):
    f = 0
    for q, n in zip(pos, in_size):
        f = f * n + q
    return f


def _taps(o, k, s, p, dl):
    """Yield (tap tuple, position tuple) in window order (row-major over the kernel)."""
    for t in itertools.product(*[range(ki) for ki in k]):
        yield t, tuple(oi * si - pi + ti * di for oi, si, pi, ti, di in zip(o, s, p, t, dl))


def _inside(pos, in_size):
    return all(0 <= q < n for q, n in zip(pos, in_size))


# ---------------------------------------------------------------------------------------- max / min

def max_pool_forward(x, d, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     mode="max"):
    """-> (y, indices, has_tap) with has_tap False for windows entirely in padding."""
    x2, lead = _planes(x, d)
    k, s, p, dl, in_size, out = _geometry(x, d, kernel_size, stride, padding, dilation, ceil_mode)
    P = x2.shape[0]
    y = np.empty((P,) + out)
    idx = np.empty((P,) + out, dtype=np.int64)
    has = np.zeros(out, dtype=bool)
    for o in itertools.product(*[range(n) for n in out]):
        best = np.full(P, -np.inf if mode == "max" else np.inf)
        first = []
        for oi, si, pi, di in zip(o, s, p, dl):
            q = oi * si - pi
            while q < 0:
                q += di
            first.append(q)
        bi = np.full(P, _flat_index(first, in_size), dtype=np.int64)
        for _, pos in _taps(o, k, s, p, dl):
            if not _inside(pos, in_size):
                continue
            has[o] = True
            v = x2[(slice(None),) + pos]
            better = (v > best) if mode == "max" else (v < best)
            upd = better | np.isnan(v)
            best = np.where(upd, v, best)
            bi = np.where(upd, _flat_index(pos, in_size), bi)
        y[(slice(None),) + o] = best
        idx[(slice(None),) + o] = bi
    return y.reshape(lead + out), idx.reshape(lead + out), has


def max_pool_backward(dy, x, d, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                      mode="max", indices=None):
    _, idx, has = max_pool_forward(x, d, kernel_size, stride, padding, dilation, ceil_mode, mode)
    if indices is not None:
        idx = np.asarray(indices)
        has = np.ones_like(has)
    return _scatter_add(dy, idx, has, x, d)


def _scatter_add(dy, idx, has, x, d):
    x2, lead = _planes(x, d)
    P = x2.shape[0]
    dx = np.zeros((P, x2[0].size))
    dy2 = np.asarray(dy, dtype=np.float64).reshape(P, -1)
    i2 = np.asarray(idx).reshape(P, -1)
    keep = np.broadcast_to(np.asarray(has).reshape(1, -1), i2.shape)
    rows = np.broadcast_to(np.arange(P)[:, None], i2.shape)
    np.add.at(dx, (rows[keep], i2[keep]), dy2[keep])
    return dx.reshape(np.shape(x))


def max_unpool(y, indices, d, output_size):
    y2, lead = _planes(y, d)
    out = as_tuple(output_size, d)
    P = y2.shape[0]
    res = np.zeros((P, int(np.prod(out))))
    i2 = np.asarray(indices).reshape(P, -1)
    v2 = y2.reshape(P, -1)
    for pl in range(P):
        for j in range(i2.shape[1]):
            res[pl, i2[pl, j]] = v2[pl, j]
    return res.reshape(lead + out)


# ---------------------------------------------------------------------------------------- average

def _avg_windows(x, d, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                 weights):
    """Yield (o, [(position, weight) inside input], divisor) for every output position.

    Weighted: the divisor is the sum of the weights inside the input (count_include_pad is for
    unweighted averages only)."""
    k, s, p, dl, in_size, out = _geometry(x, d, kernel_size, stride, padding, 1, ceil_mode)
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=np.float64)
    for o in itertools.product(*[range(n) for n in out]):
        inside, div = [], 0.0
        for t, pos in _taps(o, k, s, p, dl):
            wt = w[t]
            if _inside(pos, in_size):
                inside.append((pos, wt))
                div += wt
            elif count_include_pad and weights is None and all(q < n + pi for q, n, pi in zip(pos, in_size, p)):
                div += wt
        if divisor_override is not None:
            div = float(divisor_override)
        yield o, inside, div
    return


def avg_pool_forward(x, d, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True, divisor_override=None, weights=None):
    x2, lead = _planes(x, d)
    _, _, _, _, _, out = _geometry(x, d, kernel_size, stride, padding, 1, ceil_mode)
    y = np.empty((x2.shape[0],) + out)
    for o, inside, div in _avg_windows(x, d, kernel_size, stride, padding, ceil_mode,
                                       count_include_pad, divisor_override, weights):
        acc = np.zeros(x2.shape[0])
        for pos, wt in inside:
            acc += wt * x2[(slice(None),) + pos]
        with np.errstate(divide="ignore", invalid="ignore"):
            y[(slice(None),) + o] = acc / div
    return y.reshape(lead + out)


def avg_pool_backward(dy, x, d, kernel_size, stride=None, padding=0, ceil_mode=False,
                      count_include_pad=True, divisor_override=None, weights=None):
    x2, lead = _planes(x, d)
    P = x2.shape[0]
    _, _, _, _, _, out = _geometry(x, d, kernel_size, stride, padding, 1, ceil_mode)
    dy2 = np.asarray(dy, dtype=np.float64).reshape((P,) + out)
    dx = np.zeros_like(x2)
    for o, inside, div in _avg_windows(x, d, kernel_size, stride, padding, ceil_mode,
                                       count_include_pad, divisor_override, weights):
        g = dy2[(slice(None),) + o] / div
        for pos, wt in inside:
            dx[(slice(None),) + pos] += g * wt
    return dx.reshape(np.shape(x))


# ---------------------------------------------------------------------------------------- Lp

def lp_pool_forward(x, d, p, kernel_size, stride=None, ceil_mode=False):
    x2, lead = _planes(x, d)
    k, s, pad, dl, in_size, out = _geometry(x, d, kernel_size, stride, 0, 1, ceil_mode)
    if np.isinf(p):
        y, _, _ = max_pool_forward(np.abs(x2), d, kernel_size, stride, 0, 1, ceil_mode,
                                   "max" if p > 0 else "min")
        return y.reshape(lead + out)
    vol = float(np.prod(k))
    y = np.empty((x2.shape[0],) + out)
    with np.errstate(all="ignore"):
        for o in itertools.product(*[range(n) for n in out]):
            acc, cnt = np.zeros(x2.shape[0]), 0
            for _, pos in _taps(o, k, s, pad, dl):
                if _inside(pos, in_size):
                    acc += np.power(x2[(slice(None),) + pos], p)
                    cnt += 1
            y[(slice(None),) + o] = np.power(acc / cnt * vol, 1.0 / p)
    return y.reshape(lead + out)


def lp_pool_backward(dy, x, d, p, kernel_size, stride=None, ceil_mode=False):
    x2, lead = _planes(x, d)
    P = x2.shape[0]
    k, s, pad, dl, in_size, out = _geometry(x, d, kernel_size, stride, 0, 1, ceil_mode)
    dy2 = np.asarray(dy, dtype=np.float64).reshape((P,) + out)
    if np.isinf(p):
        mode = "max" if p > 0 else "min"
        g = max_pool_backward(dy2, np.abs(x2), d, kernel_size, stride, 0, 1, ceil_mode, mode)
        return (g * np.sign(x2)).reshape(np.shape(x))
    vol = float(np.prod(k))
    dx = np.zeros_like(x2)
    with np.errstate(all="ignore"):
        for o in itertools.product(*[range(n) for n in out]):
            taps = [pos for _, pos in _taps(o, k, s, pad, dl) if _inside(pos, in_size)]
            acc = sum(np.power(x2[(slice(None),) + pos], p) for pos in taps)
            z = acc / len(taps) * vol
            coeff = dy2[(slice(None),) + o] / p * np.power(z, 1.0 / p - 1.0) * vol / len(taps)
            coeff = np.where(z == 0, 0.0, coeff)
            for pos in taps:
                dx[(slice(None),) + pos] += coeff * p * np.power(x2[(slice(None),) + pos], p - 1.0)
    return dx.reshape(np.shape(x))


# ---------------------------------------------------------------------------------------- adaptive

def _adaptive_ranges(n, m):
    return [((o * n) // m, -((-(o + 1) * n) // m)) for o in range(m)]


def adaptive_windows(in_size, out):
    ranges = [_adaptive_ranges(n, m) for n, m in zip(in_size, out)]
    for o in itertools.product(*[range(m) for m in out]):
        yield o, list(itertools.product(*[range(*ranges[a][o[a]]) for a in range(len(out))]))


def adaptive_max_pool_forward(x, d, output_size):
    x2, lead = _planes(x, d)
    in_size = np.shape(x)[-d:]
    out = tuple(n if m is None else m for m, n in
                zip(output_size if isinstance(output_size, (list, tuple)) else (output_size,) * d, in_size))
    P = x2.shape[0]
    y = np.empty((P,) + out)
    idx = np.empty((P,) + out, dtype=np.int64)
    for o, taps in adaptive_windows(in_size, out):
        best = np.full(P, -np.inf)
        bi = np.full(P, _flat_index(taps[0], in_size), dtype=np.int64)
        for pos in taps:
            v = x2[(slice(None),) + pos]
            upd = (v > best) | np.isnan(v)
            best = np.where(upd, v, best)
            bi = np.where(upd, _flat_index(pos, in_size), bi)
        y[(slice(None),) + o] = best
        idx[(slice(None),) + o] = bi
    return y.reshape(lead + out), idx.reshape(lead + out)


def adaptive_max_pool_backward(dy, x, d, output_size):
    _, idx = adaptive_max_pool_forward(x, d, output_size)
    return _scatter_add(dy, idx, np.ones(idx.shape[-d:], bool), x, d)


def adaptive_avg_pool_forward(x, d, output_size):
    x2, lead = _planes(x, d)
    in_size = np.shape(x)[-d:]
    out = as_tuple(output_size, d)
    y = np.empty((x2.shape[0],) + out)
    for o, taps in adaptive_windows(in_size, out):
        y[(slice(None),) + o] = sum(x2[(slice(None),) + pos] for pos in taps) / len(taps)
    return y.reshape(lead + out)


def adaptive_avg_pool_backward(dy, x, d, output_size):
    x2, lead = _planes(x, d)
    in_size = np.shape(x)[-d:]
    out = as_tuple(output_size, d)
    dy2 = np.asarray(dy, dtype=np.float64).reshape((x2.shape[0],) + out)
    dx = np.zeros_like(x2)
    for o, taps in adaptive_windows(in_size, out):
        for pos in taps:
            dx[(slice(None),) + pos] += dy2[(slice(None),) + o] / len(taps)
    return dx.reshape(np.shape(x))
