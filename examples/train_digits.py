"""Train a small CNN on scikit-learn's 8x8 digits with MyGrad, on cnnkern and on stock MyGrad.

    pip install "cnnkern[examples]"        # scikit-learn, mygrad, tqdm
    python examples/train_digits.py        # both backends, prints time per epoch side by side
    python examples/train_digits.py --backend cnnkern --epochs 20
    python examples/train_digits.py --large-benchmark   # 3x32x32, two 3x3/64 convs, batch 64

The model is conv(1->32, 3x3, pad 1)-relu-maxpool(2) -> conv(32->64, 3x3, pad 1)-relu-maxpool(2) ->
dense(256->10), float32, trained with SGD + momentum (cosine learning-rate decay) on 80% of the 1797
digits (no download: the data ship with scikit-learn); it reaches about 98-99% test accuracy.
One line switches MyGrad onto cnnkern: ``cnnkern.contrib.mygrad.install()`` (here the context manager
``installed()``, so both backends run in one process). With the same seed both backends follow the
same trajectory up to float rounding.
"""
import argparse
import contextlib
import time

import numpy as np

import mygrad as mg
from mygrad.nnet.activations import relu
from mygrad.nnet.layers import conv_nd, max_pool
from mygrad.nnet.losses import softmax_crossentropy

import cnnkern.contrib.mygrad as ckmg

try:
    from tqdm import tqdm
except ImportError:  # the progress bar is optional
    tqdm = None


def load_data(seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]          # (1797, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)


def init_params(seed=0, c1=32, c2=64, classes=10, in_ch=1, flat=None):
    rng = np.random.default_rng(seed)

    def he(*shape):
        fan_in = int(np.prod(shape[1:]))
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    flat = c2 * 2 * 2 if flat is None else flat
    return {
        "w1": he(c1, in_ch, 3, 3), "b1": np.zeros((1, c1, 1, 1), np.float32),
        "w2": he(c2, c1, 3, 3), "b2": np.zeros((1, c2, 1, 1), np.float32),
        "w3": he(classes, flat).T.copy(), "b3": np.zeros(classes, np.float32),
    }


def forward(p, x):
    h = max_pool(relu(conv_nd(x, p["w1"], stride=1, padding=1) + p["b1"]), (2, 2), 2)
    h = max_pool(relu(conv_nd(h, p["w2"], stride=1, padding=1) + p["b2"]), (2, 2), 2)
    return mg.matmul(h.reshape(h.shape[0], -1), p["w3"]) + p["b3"]


def train(x_tr, y_tr, x_te, y_te, *, backend, epochs, batch, lr, seed, progress=True):
    """-> (per-epoch seconds, final test accuracy, final params)."""
    arrays = init_params(seed)
    params = {k: mg.tensor(v) for k, v in arrays.items()}
    velocity = {k: np.zeros_like(v) for k, v in arrays.items()}
    rng = np.random.default_rng(seed + 1)
    ctx = ckmg.installed() if backend == "cnnkern" else contextlib.nullcontext()
    times, acc = [], 0.0
    with ctx:
        for epoch in range(epochs):
            step_lr = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))  # cosine decay
            order = rng.permutation(len(x_tr))
            batches = range(0, len(order), batch)
            bar = tqdm(batches, desc=f"{backend:>7} epoch {epoch + 1}/{epochs}", leave=False) \
                if (progress and tqdm is not None) else batches
            t0 = time.perf_counter()
            for start in bar:
                idx = order[start:start + batch]
                loss = softmax_crossentropy(forward(params, x_tr[idx]), y_tr[idx])
                loss.backward()
                for k, t in params.items():
                    velocity[k] = 0.9 * velocity[k] - step_lr * t.grad
                    params[k] = mg.tensor(t.data + velocity[k])
                if bar is not batches:
                    bar.set_postfix(loss=f"{loss.item():.3f}")
            times.append(time.perf_counter() - t0)
            with mg.no_autodiff:
                acc = float(np.mean(np.argmax(forward(params, x_te).data, axis=1) == y_te))
            if bar is not batches:
                bar.close()
            if progress and tqdm is None:
                print(f"  {backend:>7} epoch {epoch + 1}/{epochs}: {times[-1]:.3f} s, test acc {acc:.2%}")
    return times, acc, {k: t.data for k, t in params.items()}


def large_benchmark(steps=5, batch=64, seed=0):
    """Training-step time of a 3x32x32 model with two 3x3 convs of 64 channels, with/without cnnkern."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    pr = np.random.default_rng(seed)
    arrays = {
        "w1": (pr.standard_normal((64, 3, 3, 3)) * 0.2).astype(np.float32),
        "w2": (pr.standard_normal((64, 64, 3, 3)) * 0.06).astype(np.float32),
        "w3": (pr.standard_normal((64 * 8 * 8, 10)) * 0.02).astype(np.float32),
    }

    def step():
        p = {k: mg.tensor(v) for k, v in arrays.items()}
        h = max_pool(relu(conv_nd(x, p["w1"], stride=1, padding=1)), (2, 2), 2)
        h = max_pool(relu(conv_nd(h, p["w2"], stride=1, padding=1)), (2, 2), 2)
        loss = softmax_crossentropy(mg.matmul(h.reshape(batch, -1), p["w3"]), y)
        loss.backward()
        return loss.item()

    results = {}
    for backend in ("cnnkern", "stock"):
        ctx = ckmg.installed() if backend == "cnnkern" else contextlib.nullcontext()
        with ctx:
            step()  # warm-up (BLAS load, caches)
            t0 = time.perf_counter()
            losses = [step() for _ in range(steps)]
            results[backend] = ((time.perf_counter() - t0) / steps, losses[-1])
    (tc, lc), (ts, ls) = results["cnnkern"], results["stock"]
    print(f"3x32x32 inputs, conv 3->64 and 64->64 (3x3, pad 1) + 2x2 max pools + dense, batch {batch}, "
          f"float32, {steps} steps")
    print(f"  time per training step: cnnkern {tc * 1e3:.1f} ms | stock MyGrad {ts * 1e3:.1f} ms "
          f"| speed-up {ts / tc:.1f}x   (loss {lc:.6f} vs {ls:.6f})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("both", "cnnkern", "stock"), default="both")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("--large-benchmark", action="store_true",
                    help="time training steps of a larger model (3x32x32, two 64-channel convs) instead")
    ap.add_argument("--steps", type=int, default=5, help="steps for --large-benchmark")
    args = ap.parse_args(argv)
    if args.large_benchmark:
        large_benchmark(steps=args.steps)
        return None

    x_tr, x_te, y_tr, y_te = load_data(args.seed)
    print(f"digits: {len(x_tr)} train / {len(x_te)} test images of 8x8; {args.epochs} epochs, "
          f"batch {args.batch}")
    backends = ("cnnkern", "stock") if args.backend == "both" else (args.backend,)
    results = {}
    for backend in backends:
        results[backend] = train(x_tr, y_tr, x_te, y_te, backend=backend, epochs=args.epochs,
                                 batch=args.batch, lr=args.lr, seed=args.seed,
                                 progress=not args.no_progress)
    header = "epoch " + "".join(f"| {b + ' s/epoch':>20} " for b in backends)
    print(header)
    for e in range(args.epochs):
        print(f"{e + 1:>5} " + "".join(f"| {results[b][0][e]:>20.3f} " for b in backends))
    for b in backends:
        times, acc, _ = results[b]
        label = "cnnkern backend" if b == "cnnkern" else "stock MyGrad"
        print(f"{label:>16}: median {np.median(times):.3f} s/epoch, test accuracy {acc:.2%}")
    if len(backends) == 2:
        tc, ts = np.median(results["cnnkern"][0]), np.median(results["stock"][0])
        print(f"speed-up: {ts / tc:.1f}x per epoch")
    return results


if __name__ == "__main__":
    main()
