"""Per-machine calibration of the chooser (cnnkern/_calibrate.py), the source of a choice, the guard."""
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

import cnnkern
from cnnkern import _calibrate, _choose
from cnnkern._params import make_conv_params

RATES = {"gemm": 1.0e11, "direct": 5.0e10, "fft": 2.0e10, "mem": 3.0e9, "call": 5.0e4}


@pytest.fixture()
def calib_path(tmp_path, monkeypatch):
    path = tmp_path / "cache" / "calibration.json"
    monkeypatch.setenv(_calibrate.ENV_CALIBRATION_PATH, str(path))
    _calibrate.forget()
    yield path
    monkeypatch.undo()
    _calibrate.forget()
    _choose.clear_autotune_cache()
    _choose._guard_cache.clear()


def _write(path, entries):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": _calibrate.CALIBRATION_FORMAT, "version": _calibrate.CALIBRATION_VERSION,
                                "entries": entries}))
    _calibrate.forget()


def _entry(n_threads=None, rates=None, **key_changes):
    key = _calibrate.calibration_key(n_threads)
    key.update(key_changes)
    return {"key": key, "rates": {"float32": dict(rates or RATES), "float64": dict(rates or RATES)}}


SHAPE = ((2, 16, 20, 20), (16, 16, 3, 3))


def test_identity_fields():
    cpu = _calibrate.cpu_identity()
    assert set(cpu) >= {"vendor", "family", "model", "stepping", "model_name", "flags", "caches"}
    key = _calibrate.calibration_key(3)
    assert key["threads"] == 3 and key["isa"] == cnnkern.config_info()["isa"]
    assert key["cnnkern"] == cnnkern.__version__ and isinstance(key["blas"], str)
    assert _calibrate.key_mismatch(key, dict(key)) is None
    assert "threads" in _calibrate.key_mismatch(key, dict(key, threads=4))


def test_calibrate_round_trip(calib_path):
    written = cnnkern.calibrate(threads=1, dtypes=("float32",), repeat=1, rounds=1)
    assert calib_path.exists()
    doc = json.loads(calib_path.read_text())
    assert doc["format"] == _calibrate.CALIBRATION_FORMAT and len(doc["entries"]) == 1
    entry = doc["entries"][0]
    assert entry["key"] == _calibrate.calibration_key(1) == written[0]["key"]
    assert set(entry["rates"]["float32"]) == set(_calibrate.RATE_CLASSES)
    assert all(v > 0 for v in entry["rates"]["float32"].values())
    with cnnkern.num_threads(1):
        rates, source = _choose.machine_rates(np.float32)
        assert source == "calibrated" and rates == entry["rates"]["float32"]
        assert cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, details=True).source == "calibrated"
        # float64 was not calibrated: defaults, with a message saying so
        with pytest.warns(_calibrate.CalibrationWarning, match="no float64 rates"):
            assert cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, dtype=np.float64, details=True).source == "defaults"
    # calibrating float64 too merges into the same entry
    cnnkern.calibrate(threads=1, dtypes=("float64",), repeat=1, rounds=1)
    doc = json.loads(calib_path.read_text())
    assert len(doc["entries"]) == 1 and set(doc["entries"][0]["rates"]) == {"float32", "float64"}


def test_stored_rates_are_used(calib_path):
    _write(calib_path, [_entry(cnnkern.get_num_threads())])
    rates, source = _choose.machine_rates(np.float64)
    assert source == "calibrated" and rates == RATES
    p = make_conv_params(2, *SHAPE, padding=1)
    costs = _choose.estimate_costs(p, "forward", dtype=np.float64)
    assert costs == _choose.estimate_costs(p, "forward", rates=RATES)


@pytest.mark.parametrize("field, value, word", [("threads", 999, "threads"), ("isa", "generic-x", "isa"),
                                                ("blas", "otherblas/Foo", "blas"), ("cnnkern", "0.0.0", "cnnkern")])
def test_key_mismatch_is_ignored_with_one_message(calib_path, field, value, word):
    _write(calib_path, [_entry(cnnkern.get_num_threads(), **{field: value})])
    with pytest.warns(_calibrate.CalibrationWarning, match=word) as record:
        choice = cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, details=True)
    assert choice.source == "defaults" and len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per process, not per call
        assert cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, details=True).source == "defaults"


def test_cpu_mismatch_names_the_field(calib_path):
    entry = _entry(cnnkern.get_num_threads())
    entry["key"]["cpu"] = dict(entry["key"]["cpu"], model="999999")
    _write(calib_path, [entry])
    with pytest.warns(_calibrate.CalibrationWarning, match="cpu model"):
        assert cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, details=True).source == "defaults"


@pytest.mark.parametrize("text", ["{corrupt", "[]", json.dumps({"format": "other"}),
                                  json.dumps({"format": "cnnkern-calibration", "version": 99, "entries": []}),
                                  json.dumps({"format": "cnnkern-calibration", "version": 1, "entries": [{"key": 1}]}),
                                  json.dumps({"format": "cnnkern-calibration", "version": 1, "entries": [
                                      {"key": {}, "rates": {"float32": {"gemm": -1}}}]})])
def test_corrupt_file_is_ignored_with_a_message(calib_path, text):
    calib_path.parent.mkdir(parents=True, exist_ok=True)
    calib_path.write_text(text)
    _calibrate.forget()
    with pytest.warns(_calibrate.CalibrationWarning, match="not a valid calibration file"):
        assert cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, details=True).source == "defaults"
    with pytest.raises(ValueError, match="not a valid calibration file"):
        _calibrate._read_file(str(calib_path))
    # calibrate() replaces it (and says so)
    with pytest.warns(_calibrate.CalibrationWarning, match="replacing"):
        cnnkern.calibrate(threads=1, dtypes="float32", repeat=1, rounds=1)
    assert json.loads(calib_path.read_text())["format"] == _calibrate.CALIBRATION_FORMAT


def test_sources(calib_path):
    assert cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, details=True).source == "defaults"
    measured = cnnkern.choose_algorithm(*SHAPE, padding=1, measure=True, details=True)
    assert measured.source == "measured" and measured.algorithm in cnnkern.algorithms()
    _write(calib_path, [_entry(cnnkern.get_num_threads())])
    c = cnnkern.choose_algorithm(*SHAPE, padding=1, measure=False, details=True)
    assert c.source == "calibrated" and c.algorithm == cnnkern.choose_algorithm(*SHAPE, padding=1)
    assert set(c.costs) <= set(cnnkern.algorithms()) and c.algorithm == min(c.costs, key=c.costs.get)


def test_bad_calibrate_arguments(calib_path):
    with pytest.raises(ValueError, match="threads"):
        cnnkern.calibrate(threads=0, save=False)
    with pytest.raises(TypeError, match="dtypes"):
        cnnkern.calibrate(dtypes=("int32",), save=False)
    with pytest.raises(TypeError):
        cnnkern.set_auto_guard("yes")


def _fake_costs(values):
    def costs(p, direction, **kw):
        return dict(values)
    return costs


@pytest.mark.parametrize("estimates, timed", [
    ({"direct": 0.05, "im2col": 0.06}, True),     # close and large: timed
    ({"direct": 0.05, "im2col": 0.07, "fft": 0.124}, True),  # every one within the factor (2.5) is timed
    ({"direct": 0.05, "im2col": 0.07, "fft": 0.126}, True),  # fft beyond it: not timed
    ({"direct": 0.05, "im2col": 0.2}, False),     # far apart
    ({"direct": 0.0005, "im2col": 0.0014}, True),  # under GUARD_WIDE_SECONDS: within the wide factor (3)
    ({"direct": 0.0005, "im2col": 0.0014, "fft": 0.0016}, True),  # fft beyond it: not timed
    ({"direct": 0.0005, "im2col": 0.0016}, False),  # beyond the wide factor
    ({"direct": 0.00004, "im2col": 0.00005}, False),  # small (under GUARD_MIN_SECONDS)
])
def test_guard(calib_path, monkeypatch, estimates, timed):
    calls = []

    def fake_time(algos, p, dtype, direction, separable, rounds):
        assert rounds == _choose.GUARD_ROUNDS
        calls.extend(algos)
        return {a: {"direct": 2.0, "im2col": 1.0, "fft": 0.5}[a] for a in algos}

    monkeypatch.setattr(_choose, "_time_interleaved", fake_time)
    monkeypatch.setattr(_choose, "estimate_costs", _fake_costs(estimates))
    p = make_conv_params(2, *SHAPE, padding=1)
    _choose.set_auto_guard(False)
    off = _choose.choose_for_params(p, np.float32, "forward", details=True)
    assert off.algorithm == "direct" and off.source == "defaults" and calls == []
    _choose.set_auto_guard(True)
    assert cnnkern.get_auto_guard()
    on = _choose.choose_for_params(p, np.float32, "forward", details=True)
    if timed:
        factor = _choose.GUARD_WIDE_FACTOR if estimates["direct"] < _choose.GUARD_WIDE_SECONDS else _choose.GUARD_FACTOR
        close = sorted(a for a in estimates if estimates[a] <= factor * estimates["direct"])
        winner = "fft" if "fft" in close else "im2col"
        assert on.algorithm == winner and on.source == "measured" and sorted(calls) == close
        kept = _choose.guard_decision(p, np.float32, "forward")
        assert kept["algorithm"] == winner and sorted(kept["times"]) == close
        again = _choose.choose_for_params(p, np.float32, "forward")
        assert again == winner and len(calls) == len(close)  # cached for the process
        assert (_choose.choose_for_params(p, np.float32, "backward_input") == winner
                and len(calls) == 2 * len(close))
    else:
        assert on.algorithm == "direct" and on.source == "defaults" and calls == []
        assert _choose.guard_decision(p, np.float32, "forward") is None


def test_bench_calibrate_command(calib_path, capsys):
    from cnnkern import bench

    assert bench.main(["--calibrate", "--threads", "1", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert "calibrated 1 thread(s)" in out and str(calib_path) in out
    entry = json.loads(calib_path.read_text())["entries"][0]
    assert entry["key"]["threads"] == 1 and set(entry["rates"]) == {"float32"}


@pytest.mark.skipif("fft" not in cnnkern.algorithms(), reason="cnnkern was built without fft")
def test_signal_choice_follows_the_rates(calib_path):
    from cnnkern import signal

    a = np.ones((256, 256))
    b = np.ones((9, 9))
    ref = _choose.default_rates(**signal._SIGNAL_REFERENCE)
    slow_fft = dict(ref, fft=ref["fft"] / 1e4)
    fast_fft = dict(ref, fft=ref["fft"] * 1e4)
    _write(calib_path, [_entry(cnnkern.get_num_threads(), rates=slow_fft)])
    assert signal.choose_method(a, b) == "direct"
    _write(calib_path, [_entry(cnnkern.get_num_threads(), rates=fast_fft)])
    assert signal.choose_method(a, b) == "fft"


_dims = st.integers(1, 3)


@st.composite
def problems(draw):
    ndim = draw(_dims)
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    k = [draw(st.integers(1, 4)) for _ in range(ndim)]
    stride = [draw(st.integers(1, 3)) for _ in range(ndim)]
    dilation = [draw(st.integers(1, 2)) for _ in range(ndim)]
    pad = [draw(st.integers(0, 2)) for _ in range(ndim)]
    size = [draw(st.integers(max(1, (kk - 1) * d + 1 - 2 * pp), 9)) for kk, d, pp in zip(k, dilation, pad)]
    n = draw(st.integers(1, 2))
    return ((n, cin, *size), (cout, cin // groups, *k), dict(stride=stride, padding=pad, dilation=dilation,
                                                              groups=groups))


rate_values = st.floats(1e2, 1e13, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problems(), st.sampled_from(_choose.DIRECTIONS), st.booleans(), st.sampled_from([np.float32, np.float64]),
       st.fixed_dictionaries({c: rate_values for c in _calibrate.RATE_CLASSES}))
def test_choice_is_always_supported(problem, direction, separable, dtype, rates):
    x_shape, w_shape, kw = problem
    p = make_conv_params(len(x_shape) - 2, x_shape, w_shape, **kw)
    supported = _choose.supported_algorithms(p, direction, separable=separable)
    for chosen in (_choose.model_choice(p, direction, separable=separable, dtype=dtype, rates=rates),
                   cnnkern.choose_algorithm(x_shape, w_shape, direction=direction, separable=separable,
                                            dtype=dtype, measure=False, **kw)):
        assert chosen in cnnkern.algorithms() and chosen in supported
    # and it runs (the supports rules promise no NotImplementedError)
    chosen = _choose.model_choice(p, direction, separable=separable, dtype=dtype, rates=rates)
    if not separable and direction == "forward":
        rng = np.random.default_rng(0)
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        getattr(cnnkern, f"conv{len(x_shape) - 2}d_forward")(x, w, algorithm=chosen, **kw)


def test_bench_results_record_the_cpu_identity():
    from cnnkern import bench

    machine, _ = bench.machine_info(1)
    cpu = machine["cpu_identity"]
    assert set(cpu) >= {"vendor", "family", "model", "stepping", "flags", "caches"}
    json.dumps(machine)  # it goes into results.json


def test_guard_times_the_real_kernels():
    """The guard's timing runs the candidates themselves: every one that can run the case gets a
    positive time, one that cannot is left out."""
    p = make_conv_params(2, *SHAPE, stride=2, padding=1)  # winograd: stride 1 only
    times = _choose._time_interleaved(["direct", "im2col", "winograd"], p, np.float32, "forward", False, 2)
    assert set(times) == {"direct", "im2col"} and all(0 < t < 10 for t in times.values())


def test_guard_keeps_the_model_choice_when_its_inputs_do_not_fit(calib_path, monkeypatch):
    """The guard's random inputs are extra memory: if they cannot be allocated, the call goes on with
    the model's choice instead of raising MemoryError for a call that would itself fit."""
    class NoMemory:
        def standard_normal(self, *a, **k):
            raise MemoryError("test")

    monkeypatch.setattr(_choose.np.random, "default_rng", lambda *a, **k: NoMemory())
    monkeypatch.setattr(_choose, "estimate_costs", _fake_costs({"direct": 0.05, "im2col": 0.06}))
    _choose.set_auto_guard(True)
    p = make_conv_params(2, *SHAPE, padding=1)
    choice = _choose.choose_for_params(p, np.float32, "forward", details=True)
    assert choice.algorithm == "direct" and choice.source == "defaults"
