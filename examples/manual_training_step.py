"""A hand-written training step on plain cnnkern.conv2d_forward / conv2d_backward (NumPy only).

    python examples/manual_training_step.py

Model: conv(1->8, 3x3, pad 1) + bias -> ReLU -> 2x2 max pool -> global average -> dense(8->2) ->
softmax cross-entropy, trained by SGD to tell images with horizontal bars from images with vertical
bars. Every gradient is written out by hand: cnnkern supplies the convolution and pooling gradients,
NumPy the rest. A finite-difference check of one weight confirms the hand-written backward pass.
"""
import numpy as np

import cnnkern


def make_batch(rng, n=64, size=12):
    """Images with a few random horizontal (label 0) or vertical (label 1) bars, plus noise."""
    y = rng.integers(0, 2, n)
    x = 0.1 * rng.standard_normal((n, 1, size, size)).astype(np.float32)
    for i in range(n):
        for pos in rng.choice(size, 3, replace=False):
            if y[i] == 0:
                x[i, 0, pos, :] += 1.0
            else:
                x[i, 0, :, pos] += 1.0
    return x, y


def forward_backward(params, x, y):
    """-> (loss, grads): forward pass, softmax cross-entropy, hand-written backward pass."""
    w, b, v, c = params["w"], params["b"], params["v"], params["c"]
    # forward
    a = cnnkern.conv2d_forward(x, w, b, padding=1)                 # (N, 8, H, W)
    r = np.maximum(a, 0)
    p = cnnkern.max_pool2d_forward(r, 2)                           # (N, 8, H/2, W/2)
    g = p.mean(axis=(2, 3))                                        # (N, 8)
    logits = g @ v + c                                             # (N, 2)
    z = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    # backward
    dlogits = probs.copy()
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    dv, dc = g.T @ dlogits, dlogits.sum(axis=0)
    dg = dlogits @ v.T
    dp = np.broadcast_to(dg[:, :, None, None] / (p.shape[2] * p.shape[3]), p.shape)
    dr = cnnkern.max_pool2d_backward(dp, r, 2)
    da = dr * (a > 0)
    dx, dw, db = cnnkern.conv2d_backward(da, x, w, padding=1)     # dx unused: x is the data
    return loss, {"w": dw, "b": db, "v": dv, "c": dc}


def main(steps=150, lr=0.5, seed=0):
    rng = np.random.default_rng(seed)
    params = {
        "w": (0.5 * rng.standard_normal((8, 1, 3, 3))).astype(np.float32),
        "b": np.zeros(8, np.float32),
        "v": (0.5 * rng.standard_normal((8, 2))).astype(np.float32),
        "c": np.zeros(2, np.float32),
    }

    # finite-difference check of one conv weight (float64 copy of the model)
    x, y = make_batch(rng, n=8)
    p64 = {k: v.astype(np.float64) for k, v in params.items()}
    _, grads = forward_backward(p64, x.astype(np.float64), y)
    eps, idx = 1e-6, (3, 0, 1, 2)
    p64["w"][idx] += eps
    up, _ = forward_backward(p64, x.astype(np.float64), y)
    p64["w"][idx] -= 2 * eps
    down, _ = forward_backward(p64, x.astype(np.float64), y)
    numeric = (up - down) / (2 * eps)
    print(f"gradient check dL/dw{list(idx)}: backward {grads['w'][idx]:.6e}, finite difference {numeric:.6e}")

    for step in range(steps):
        x, y = make_batch(rng)
        loss, grads = forward_backward(params, x, y)
        for k in params:
            params[k] -= lr * grads[k].astype(np.float32)
        if step % 25 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss:.4f}")

    x, y = make_batch(rng, n=500)
    a = np.maximum(cnnkern.conv2d_forward(x, params["w"], params["b"], padding=1), 0)
    logits = cnnkern.max_pool2d_forward(a, 2).mean(axis=(2, 3)) @ params["v"] + params["c"]
    acc = np.mean(logits.argmax(axis=1) == y)
    print(f"accuracy on 500 fresh images: {acc:.1%}")
    return acc


if __name__ == "__main__":
    main()
