"""A first look at cnnkern: forward, backward and a check against a plain NumPy loop.

Run from anywhere after `pip install .`:  python examples/quickstart.py
"""
import time

import numpy as np

import cnnkern

rng = np.random.default_rng(0)
x = rng.standard_normal((8, 64, 56, 56)).astype(np.float32)   # (N, C_in, H, W)
w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)    # (C_out, C_in, kH, kW)
b = rng.standard_normal(64).astype(np.float32)

t0 = time.perf_counter()
y = cnnkern.conv2d_forward(x, w, b, padding="same")
t1 = time.perf_counter()
dx, dw, db = cnnkern.conv2d_backward(np.ones_like(y), x, w, padding="same")
t2 = time.perf_counter()
flops = 2 * 8 * 64 * 64 * 9 * 56 * 56
print(f"conv2d 8x64x56x56, 3x3 'same': forward {1e3 * (t1 - t0):.1f} ms "
      f"({flops / (t1 - t0) / 1e9:.1f} GFLOP/s), backward {1e3 * (t2 - t1):.1f} ms")

# Spot-check one output element against its definition (cross-correlation, zero padding 1).
n, k, i, j = 3, 5, 0, 17
xp = np.pad(x[n].astype(np.float64), ((0, 0), (1, 1), (1, 1)))
expected = b[k] + np.sum(w[k] * xp[:, i:i + 3, j:j + 3])
print(f"y[{n},{k},{i},{j}] = {y[n, k, i, j]:.5f}, from the definition {expected:.5f}")
assert abs(y[n, k, i, j] - expected) < 1e-3 * max(1.0, abs(expected))
print(f"db equals the count of output positions per channel: {db[0]:.0f} == {8 * 56 * 56}")
cnnkern.show_config()
