"""The examples run (shortened)."""
import importlib.util
import pathlib

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    path = EXAMPLES / f"{name}.py"
    if not path.exists():
        pytest.skip(f"{path} not present")
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_manual_training_step(capsys):
    acc = _load("manual_training_step").main(steps=60)
    assert acc > 0.9
    out = capsys.readouterr().out
    check = [line for line in out.splitlines() if line.startswith("gradient check")][0]
    backward, numeric = (float(s.split()[-1].strip(",")) for s in check.split(": ")[1].split(", "))
    assert abs(backward - numeric) <= 1e-5 * max(1.0, abs(numeric))


def test_train_digits_short(monkeypatch):
    # The trajectories match to direct convolution's rounding only: the digit images have many equal
    # pixels, and winograd's float32 rounding (~1e-6 of the largest output, tested in
    # test_winograd.py) flips max-pool ties, which ten SGD steps amplify to 1e-2. So "auto" is kept
    # off winograd here.
    from cnnkern import _choose, _problem
    monkeypatch.setattr(_choose, "ENTRIES", tuple(e for e in _choose.ENTRIES if e.algorithm != "winograd"))
    _problem.clear_memo()
    monkeypatch.setattr(_problem, "_memo", {})  # the auto choices made without winograd stay here
    pytest.importorskip("mygrad")
    pytest.importorskip("sklearn")
    td = _load("train_digits")
    x_tr, x_te, y_tr, y_te = td.load_data(0)
    n = 320
    res = {}
    for backend in ("cnnkern", "stock"):
        res[backend] = td.train(x_tr[:n], y_tr[:n], x_te, y_te, backend=backend, epochs=1, batch=32,
                                lr=0.02, seed=0, progress=False)
    for k in res["stock"][2]:
        np.testing.assert_allclose(res["cnnkern"][2][k], res["stock"][2][k], rtol=1e-3, atol=1e-4)
    assert res["cnnkern"][1] > 0.15  # one short epoch: better than chance (0.1)
