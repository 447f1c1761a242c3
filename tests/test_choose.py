"""The algorithm chooser (cnnkern/_choose.py): purity, supports rules, cost model, autotune cache."""
import json
import threading

import numpy as np
import pytest

import cnnkern
from cnnkern import _choose
from cnnkern._params import make_conv_params
from oracle import conv_forward as oracle_forward

SHAPES = [  # (x_shape, w_shape, keywords)
    ((2, 3, 17), (4, 3, 5), dict(stride=2, padding=1)),
    ((1, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),
    ((2, 8, 7, 7), (8, 1, 3, 3), dict(groups=8, padding=1)),
    ((1, 16, 6, 6), (32, 16, 1, 1), {}),
    ((1, 4, 12, 12), (4, 4, 3, 3), dict(dilation=2, padding=((1, 2), (0, 3)))),
    ((1, 2, 5, 6, 4), (3, 2, 2, 3, 1), dict(stride=(1, 2, 1))),
]


pytestmark = pytest.mark.usefixtures("clean_autotune")


def _params(x_shape, w_shape, kw):
    return make_conv_params(len(x_shape) - 2, x_shape, w_shape, **kw)


@pytest.mark.parametrize("direction", _choose.DIRECTIONS)
@pytest.mark.parametrize("x_shape, w_shape, kw", SHAPES)
def test_choice_is_pure_and_runs(x_shape, w_shape, kw, direction, monkeypatch):
    def no_timing(*args, **kwargs):
        raise AssertionError("the unmeasured chooser must not time anything")

    monkeypatch.setattr(_choose, "time_algorithm", no_timing)
    a = cnnkern.choose_algorithm(x_shape, w_shape, direction=direction, measure=False, **kw)
    assert a in cnnkern.algorithms()
    assert all(cnnkern.choose_algorithm(x_shape, w_shape, direction=direction, measure=False, **kw) == a
               for _ in range(3))
    assert _choose.autotune_cache_entries() == []
    # the chosen algorithm runs the case (its supports rule is true) and computes the convolution
    if direction == "forward":
        rng = np.random.default_rng(0)
        x = rng.standard_normal(x_shape)
        w = rng.standard_normal(w_shape)
        fwd = getattr(cnnkern, f"conv{len(x_shape) - 2}d_forward")
        np.testing.assert_allclose(fwd(x, w, algorithm=a, **kw), oracle_forward(x, w, None, **kw),
                                   rtol=1e-10, atol=1e-10)


def test_auto_runs_what_choose_algorithm_returns(monkeypatch):
    seen = []
    real = cnnkern._execute.run_forward
    monkeypatch.setattr(cnnkern._execute, "run_forward", lambda algo, *a: seen.append(algo) or real(algo, *a))
    x = np.ones((1, 16, 6, 6), np.float32)
    w = np.ones((32, 16, 1, 1), np.float32)
    cnnkern.conv2d_forward(x, w)
    assert seen == [cnnkern.choose_algorithm(x.shape, w.shape, measure=False)]


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="direction must be one of"):
        cnnkern.choose_algorithm((1, 1, 4, 4), (1, 1, 3, 3), direction="sideways")
    with pytest.raises(ValueError, match="1 to 3 spatial dims"):
        cnnkern.choose_algorithm((1, 1), (1, 1))
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        cnnkern.choose_algorithm((1, 1, 4, 4), (1, 1, 3, 3), dtype=np.int32)
    with pytest.raises(ValueError, match="groups=2 does not divide"):
        cnnkern.choose_algorithm((1, 3, 4, 4), (1, 1, 3, 3), groups=2)
    with pytest.raises(TypeError):
        cnnkern.set_autotune("yes")


def test_supports_rules():
    plain = _params((1, 4, 9, 9), (4, 4, 3, 3), {})
    strided = _params((1, 4, 9, 9), (4, 4, 3, 3), dict(stride=2))
    dilated = _params((1, 4, 9, 9), (4, 4, 3, 3), dict(dilation=2))
    fft, sep, im2col = (_choose._ENTRY[a].supports for a in ("fft", "separable", "im2col"))
    assert fft(plain, "backward_weight", False) and not fft(strided, "forward", False)
    assert not fft(dilated, "forward", False)
    assert sep(plain, "forward", True) and sep(plain, "backward_input", True)
    assert not sep(plain, "forward", False) and not sep(plain, "backward_weight", True)
    assert im2col(plain, "forward", False)
    huge = _params((1, 1, 2 ** 16, 2 ** 16), (1, 1, 1, 1), {})  # P = 2^32 output pixels: over the BLAS's int
    assert not im2col(huge, "forward", False)
    assert "im2col" not in _choose.supported_algorithms(huge, "forward")
    assert "direct" in _choose.supported_algorithms(huge, "forward")


RATES = {"gemm": 1.0e11, "direct": 5.0e10, "fft": 2.0e10, "mem": 3.0e9, "call": 5.0e4}


def test_entries_of_unbuilt_algorithms_are_skipped():
    p = _params((1, 4, 9, 9), (4, 4, 3, 3), {})
    every = {e.algorithm: {d: {"call": 1.0 + i} for d in _choose.DIRECTIONS} for i, e in enumerate(_choose.ENTRIES)}
    costs = _choose.estimate_costs(p, "forward", separable=True, rates=RATES, efficiency=every)
    assert set(costs) == {a for a in cnnkern.algorithms() if a in every}
    assert _choose.model_choice(p, "forward", rates=RATES, efficiency=every) == "direct"  # the cheapest built entry
    # no terms at all (and no provisional ones for a built algorithm): the fallback, which supports everything
    if not any(a in _choose.PROVISIONAL_EFFICIENCY for a in cnnkern.algorithms()):
        assert _choose.model_choice(p, "forward", rates=RATES, efficiency={}) == _choose.FALLBACK


@pytest.mark.skipif("separable" not in cnnkern.algorithms(), reason="cnnkern was built without separable")
def test_separable_without_fitted_terms_is_priced_by_its_prior():
    # a rank-1 15x15 kernel on a large image: the prior (two 15-tap passes) prices separable far below
    # every 225-tap algorithm, which is what the fit measures (about 3x below direct)
    p = _params((1, 1, 256, 256), (1, 1, 15, 15), {})
    fitted = {a: t for a, t in _choose.EFFICIENCY.items() if a != "separable"}
    costs = _choose.estimate_costs(p, "forward", separable=True, rates=RATES, efficiency=fitted)
    prior = _choose.PROVISIONAL_EFFICIENCY["separable"]["forward"]
    classes = _choose.RATE_CLASS["separable"]
    assert costs["separable"] == pytest.approx(
        sum(prior.get(n, 0) * v / RATES[classes[n]] for n, v in _choose._separable_features(p).items()))
    assert min(costs, key=costs.get) == "separable"
    assert "separable" not in _choose.estimate_costs(p, "forward", separable=False, rates=RATES, efficiency=fitted)


def test_cost_model_uses_the_fitted_terms_and_rates():
    p = _params((8, 128, 56, 56), (128, 1, 3, 3), dict(groups=128, padding=1))
    costs = _choose.estimate_costs(p, "forward", rates=RATES)
    assert set(costs) >= {"direct", "im2col"} and all(c > 0 for c in costs.values())
    terms = _choose.EFFICIENCY["direct"]["forward"]
    feats = _choose._direct_features(p)
    classes = _choose.RATE_CLASS["direct"]
    assert costs["direct"] == pytest.approx(sum(terms.get(n, 0) * v / RATES[classes[n]] for n, v in feats.items()))
    # twice the direct rate halves exactly the direct-rate part of the estimate
    faster = _choose.estimate_costs(p, "forward", rates=dict(RATES, direct=2 * RATES["direct"]))
    direct_part = sum(terms.get(n, 0) * v / RATES["direct"] for n, v in feats.items() if classes[n] == "direct")
    assert faster["direct"] == pytest.approx(costs["direct"] - direct_part / 2)
    fitted = _choose.CONSTANTS_FILE["fitted"]
    assert fitted["method"] and fitted["runs"] and fitted["command"].startswith("python benchmarks/fit_chooser.py")
    # every count of every entry has a rate class, and every default rate table has every class
    for e in _choose.ENTRIES:
        assert set(e.features(p)) <= set(_choose.RATE_CLASS[e.algorithm])
    for per_isa in _choose.DEFAULT_RATES.values():
        for r in per_isa.values():
            assert set(r) >= {"gemm", "direct", "fft", "mem", "call"} and all(v > 0 for v in r.values())


def test_measure_times_once_and_caches(monkeypatch):
    calls = []
    real = _choose.time_algorithm

    def counting(algo, *a, **kw):
        calls.append(algo)
        return real(algo, *a, **kw)

    monkeypatch.setattr(_choose, "time_algorithm", counting)
    shape = ((1, 4, 9, 9), (4, 4, 3, 3))
    first = cnnkern.choose_algorithm(*shape, padding=1, measure=True)
    assert first in cnnkern.algorithms() and "reference" not in calls
    p = make_conv_params(2, *shape, padding=1)
    candidates = [a for a in _choose.supported_algorithms(p, "forward") if a != "reference"]
    assert "direct" in candidates and sorted(calls) == sorted(candidates)
    n = len(calls)
    assert cnnkern.choose_algorithm(*shape, padding=1, measure=True) == first and len(calls) == n
    entries = _choose.autotune_cache_entries()
    assert len(entries) == 1
    key, algo, times = entries[0]
    assert algo == first == min(times, key=times.get)
    assert key == dict(direction="forward", ndim=2, x_shape=(1, 4, 9, 9), w_shape=(4, 4, 3, 3), stride=(1, 1),
                       padding=((1, 1), (1, 1)), dilation=(1, 1), groups=1, dtype="float32", separable=False,
                       threads=cnnkern.get_num_threads())
    # another thread count, dtype or direction is another case
    with cnnkern.num_threads(1):
        cnnkern.choose_algorithm(*shape, padding=1, measure=True)
    cnnkern.choose_algorithm(*shape, padding=1, measure=True, dtype=np.float64)
    cnnkern.choose_algorithm(*shape, padding=1, measure=True, direction="backward_weight")
    assert len(_choose.autotune_cache_entries()) == 4
    # measure=False ignores the cache
    monkeypatch.setattr(_choose, "_cache", {k: {"algorithm": "reference", "times": {}} for k in _choose._cache})
    assert cnnkern.choose_algorithm(*shape, padding=1, measure=False) == _choose.model_choice(
        _params(*shape, dict(padding=1)), "forward")
    assert cnnkern.choose_algorithm(*shape, padding=1, measure=True) == "reference"  # the (planted) cached winner


def test_set_autotune_makes_auto_measure():
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = np.random.default_rng(2).standard_normal((5, 3, 3, 3)).astype(np.float32)
    expected = cnnkern.conv2d_forward(x, w, padding=1, algorithm="reference")
    assert not cnnkern.get_autotune()
    cnnkern.conv2d_forward(x, w, padding=1)
    assert _choose.autotune_cache_entries() == []
    cnnkern.set_autotune(True)
    y = cnnkern.conv2d_forward(x, w, padding=1)
    dx, dw, _ = cnnkern.conv2d_backward(np.ones_like(y), x, w, padding=1)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    dirs = sorted(k["direction"] for k, _, _ in _choose.autotune_cache_entries())
    assert dirs == ["backward_input", "backward_weight", "forward"]
    cnnkern.set_autotune(False)
    assert not cnnkern.get_autotune()


def test_cached_winner_of_an_unbuilt_algorithm_is_remeasured():
    p = _params((1, 4, 9, 9), (4, 4, 3, 3), {})
    key = _choose._cache_key(p, np.float32, "forward", False, cnnkern.get_num_threads())
    _choose._cache[key] = {"algorithm": "winograd_not_built", "times": {}}
    assert cnnkern.choose_algorithm((1, 4, 9, 9), (4, 4, 3, 3), measure=True) in cnnkern.algorithms()


def test_concurrent_measurements_agree():
    results = []
    barrier = threading.Barrier(4)

    def work():
        barrier.wait()
        results.append(cnnkern.choose_algorithm((2, 8, 10, 10), (8, 8, 3, 3), padding=1, measure=True))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(_choose.autotune_cache_entries()) == 1


def test_cache_round_trip(tmp_path):
    cnnkern.choose_algorithm((1, 4, 9, 9), (4, 4, 3, 3), measure=True)
    cnnkern.choose_algorithm((1, 2, 11), (3, 2, 4), stride=2, padding=((1, 0),), measure=True,
                             direction="backward_input", dtype=np.float64)
    before = _choose.autotune_cache_entries()
    path = tmp_path / "sub" / "cache.json"
    assert cnnkern.save_autotune_cache(str(path)) == str(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "cnnkern-autotune-cache" and len(doc["entries"]) == 2
    cnnkern.clear_autotune_cache()
    assert _choose.autotune_cache_entries() == []
    assert cnnkern.load_autotune_cache(str(path)) == 2
    assert sorted(map(repr, _choose.autotune_cache_entries())) == sorted(map(repr, before))


def test_cache_default_path(tmp_path, monkeypatch):
    monkeypatch.delenv(_choose.ENV_CACHE_PATH, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cnnkern.autotune_cache_path() == str(tmp_path / "xdg" / "cnnkern" / "autotune.json")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cnnkern.autotune_cache_path() == str(tmp_path / "home" / ".cache" / "cnnkern" / "autotune.json")
    monkeypatch.setenv(_choose.ENV_CACHE_PATH, str(tmp_path / "mine.json"))
    assert cnnkern.autotune_cache_path() == str(tmp_path / "mine.json")
    cnnkern.choose_algorithm((1, 4, 9, 9), (4, 4, 3, 3), measure=True)
    assert cnnkern.save_autotune_cache() == str(tmp_path / "mine.json")
    cnnkern.clear_autotune_cache()
    assert cnnkern.load_autotune_cache() == 1


def test_cache_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        cnnkern.load_autotune_cache(str(tmp_path / "none.json"))
    assert cnnkern.load_autotune_cache(str(tmp_path / "none.json"), missing_ok=True) == 0
    good = {"key": dict(direction="forward", ndim=1, x_shape=[1, 1, 5], w_shape=[1, 1, 3], stride=[1],
                        padding=[[0, 0]], dilation=[1], groups=1, dtype="float32", separable=False, threads=1),
            "algorithm": "direct", "times": {"direct": 1e-5}}
    bad_docs = [
        "{truncated",
        json.dumps([1, 2]),
        json.dumps({"format": "something-else", "version": 1, "entries": []}),
        json.dumps({"format": "cnnkern-autotune-cache", "version": 99, "entries": []}),
        json.dumps({"format": "cnnkern-autotune-cache", "version": 1, "entries": [good, {"key": {}}]}),
        json.dumps({"format": "cnnkern-autotune-cache", "version": 1,
                    "entries": [dict(good, key=dict(good["key"], direction="sideways"))]}),
    ]
    for i, text in enumerate(bad_docs):
        path = tmp_path / f"bad{i}.json"
        path.write_text(text)
        with pytest.raises(ValueError, match="is not a valid autotune cache"):
            cnnkern.load_autotune_cache(str(path))
        assert _choose.autotune_cache_entries() == []  # nothing half-loaded
    path = tmp_path / "good.json"
    path.write_text(json.dumps({"format": "cnnkern-autotune-cache", "version": 1, "entries": [good]}))
    assert cnnkern.load_autotune_cache(str(path)) == 1


def test_import_never_reads_or_writes_the_cache(tmp_path):
    import subprocess
    import sys

    cache = tmp_path / "c.json"
    cache.write_text("{corrupt")
    env = dict(__import__("os").environ, CNNKERN_AUTOTUNE_CACHE=str(cache))
    res = subprocess.run([sys.executable, "-c", "import cnnkern; cnnkern.conv1d_forward([[[1.0, 2.0]]], [[[1.0]]])"],
                         env=env, capture_output=True, text=True,
                         cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert cache.read_text() == "{corrupt"
