"""cnnkern-bench end to end on tiny shapes files: arguments, tables, JSON, plots, autotune cache."""
import builtins
import json
import os

import numpy as np
import pytest

import cnnkern
from cnnkern import _choose, algorithms, bench

TINY = {
    "conv2d": [
        {"name": "tiny", "n": 1, "c_in": 4, "c_out": 8, "h": 9, "w": 9, "k": 3, "stride": 1, "pad": 1, "groups": 1},
        {"name": "tiny_dw", "n": 2, "c_in": 4, "c_out": 4, "h": 7, "w": 7, "k": 3, "stride": 2, "pad": 1,
         "groups": 4},
    ],
    "kernel_sweep": {"n": 1, "c_in": 3, "c_out": 5, "h": 10, "w": 10, "k": [1, 3]},
}
FAST = [a for a in algorithms() if a != "reference"]
# The bench adds a rank-1 twin of every sweep case with k > 1 when the separable algorithm is built.
RANK1 = "separable" in algorithms()


def _declines(algorithm, case_name, pass_):
    """The algorithm/case/pass combinations of TINY that an algorithm legitimately cannot run."""
    if algorithm == "fft":
        return case_name == "tiny_dw"  # stride 2
    if algorithm == "separable":
        rank1 = case_name.endswith("_rank1") or case_name == "sweep_k1"  # a 1x1 kernel is rank 1
        return not rank1 or pass_ == "bwd_weight"
    if algorithm == "winograd":  # 2-D 3x3 and 5x5, stride 1 only
        return case_name not in ("sweep_k3", "sweep_k3_rank1", "tiny")
    return False


pytestmark = pytest.mark.usefixtures("clean_autotune")


@pytest.fixture
def shapes_file(tmp_path):
    path = tmp_path / "shapes.json"
    path.write_text(json.dumps(TINY))
    return str(path)


def _run(shapes_file, tmp_path, *extra):
    out = tmp_path / "out"
    code = bench.main(["--shapes", shapes_file, "--repeat", "1", "--threads", "1", "--out", str(out),
                       *extra])
    assert code == 0
    return out, json.loads((out / "results.json").read_text())


def test_bench_runs_and_writes_json(shapes_file, tmp_path, capsys):
    out, res = _run(shapes_file, tmp_path, "--no-plots")
    captured = capsys.readouterr()
    names = ["sweep_k1", "sweep_k3"] + ["sweep_k3_rank1"] * RANK1 + ["tiny", "tiny_dw"]
    assert [c["name"] for c in res["cases"]] == names
    assert res["format"] == "cnnkern-bench" and res["threads"] == 1 and res["dtype"] == "float32"
    assert res["versions"]["cnnkern"] == cnnkern.__version__ and res["versions"]["numpy"] == np.__version__
    assert res["machine"]["cpu_count"] == os.cpu_count() and res["machine"]["isa"]
    assert res["algorithms"] == FAST
    assert len(res["rows"]) == len(names) * len(FAST) * len(bench.PASSES)
    for row in res["rows"]:
        assert row["supported"] != _declines(row["algorithm"], row["case"], row["pass_"]), row
        if not row["supported"]:
            continue
        assert row["median_s"] > 0 and row["gflops"] > 0 and row["extra_bytes"] >= 0
        assert len(row["times"]) >= 1 and row["median_s"] == pytest.approx(np.median(row["times"]))
    for case in res["cases"]:
        for pas in bench.PASSES:
            info = case["passes"][pas]
            assert info["fastest"] in FAST and info["auto"] in algorithms()
            assert info["fastest"] == min(info["times_s"], key=info["times_s"].get)
            assert info["auto_ratio"] >= 1.0 and 1.0 <= info["guarded_ratio"] <= info["auto_ratio"]
    q = res["chooser_quality"]
    assert q["count"] == len(names) * len(bench.PASSES) and 0 <= q["within"] <= q["count"]
    assert q["with_guard"]["count"] == q["count"] and q["within"] <= q["with_guard"]["within"]
    # the sweep case's shapes: 'same' padding
    sweep3 = res["cases"][1]
    assert sweep3["x_shape"] == [1, 3, 10, 10] and sweep3["w_shape"] == [5, 3, 3, 3]
    assert sweep3["padding"] == [[1, 1], [1, 1]]
    printed = captured.out
    for name in names:
        assert f"\n{name}: x " in printed
    assert "fastest" in printed and "auto within 1.1x of the fastest in" in printed
    assert f"wrote {out / 'results.json'}" in printed
    # not a terminal: plain progress lines, no carriage-return bar
    assert "\r" not in captured.err and f"[{len(names)}/{len(names)}] tiny_dw" in captured.err


def test_bench_json_option_and_quiet(shapes_file, tmp_path, capsys):
    extra = tmp_path / "extra.json"
    _, res = _run(shapes_file, tmp_path, "--no-plots", "--quiet", "--json", str(extra), "--layers", "tiny",
                  "--passes", "fwd", "--algorithms", FAST[0])
    assert json.loads(extra.read_text())["rows"] == res["rows"]
    assert [(r["case"], r["pass_"], r["algorithm"]) for r in res["rows"]] == [("tiny", "fwd", FAST[0])]
    assert capsys.readouterr().err == ""


def test_bench_markdown_table(shapes_file, tmp_path):
    md = tmp_path / "t.md"
    _, res = _run(shapes_file, tmp_path, "--no-plots", "--markdown", str(md), "--compare", "numpy")
    text = md.read_text().splitlines()
    assert text[2] == "| case | pass | np.matmul | " + " | ".join(FAST) + " | auto picks | auto / fastest |"
    body = [line for line in text if line.startswith("| ") and "---" not in line][1:]
    assert len(body) == len(res["cases"]) * len(bench.PASSES)
    assert all(line.count("**") == 2 for line in body)  # exactly one fastest per row
    assert text[-1].startswith("auto (unmeasured) within 1.1x of the fastest in")


def test_bench_float64_and_reference(shapes_file, tmp_path):
    _, res = _run(shapes_file, tmp_path, "--no-plots", "--dtype", "float64", "--layers", "tiny",
                  "--algorithms", "reference,direct", "--passes", "bwd_weight")
    assert res["dtype"] == "float64" and {r["algorithm"] for r in res["rows"]} == {"reference", "direct"}


def test_bench_plots_written(shapes_file, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out, _ = _run(shapes_file, tmp_path)
    for name in ("sweep.png", "layers.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 400_000
    assert f"wrote {out / 'sweep.png'}, {out / 'layers.png'}" in capsys.readouterr().out


def test_bench_replot_from_results(shapes_file, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out, _ = _run(shapes_file, tmp_path, "--no-plots")
    first = capsys.readouterr().out
    again = tmp_path / "again"
    assert bench.main(["--replot", str(out / "results.json"), "--out", str(again)]) == 0
    printed = capsys.readouterr().out
    assert (again / "sweep.png").exists() and (again / "layers.png").exists()
    tables = first[first.index("\nsweep_k1: "):first.index("\nwrote")]
    assert tables in printed  # the same tables as the run printed
    with pytest.raises(SystemExit):
        bench.main(["--replot", shapes_file])


def test_bench_without_matplotlib_says_so(shapes_file, tmp_path, capsys, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    out, _ = _run(shapes_file, tmp_path, "--layers", "tiny")
    assert "plots skipped: matplotlib is not installed" in capsys.readouterr().out
    assert not (out / "layers.png").exists()


def test_bench_unsupported_algorithm_is_reported_not_fatal(shapes_file, tmp_path, capsys, monkeypatch):
    real = bench.conv2d_forward
    victim = "im2col"  # runs every case of TINY, so only the patch below makes it unsupported

    def fwd(x, w, *, algorithm, **kw):
        if algorithm == victim:
            raise NotImplementedError("cnnkern: conv forward: configuration not supported by this algorithm")
        return real(x, w, algorithm=algorithm, **kw)

    monkeypatch.setattr(bench, "conv2d_forward", fwd)
    _, res = _run(shapes_file, tmp_path, "--no-plots", "--layers", "tiny")
    rows = {(r["pass_"], r["algorithm"]): r for r in res["rows"]}
    assert not rows[("fwd", victim)]["supported"]
    assert "NotImplementedError" in rows[("fwd", victim)]["error"]
    assert rows[("bwd_input", victim)]["supported"]
    flowed = " ".join(capsys.readouterr().out.split())  # the reason wraps over table lines
    assert "unsupported: cnnkern: conv forward: configuration not supported by this algorithm" in flowed


def test_unsupported_reason_wraps_at_words():
    from cnnkern import _bench_report

    class Case:
        name, describe = "c", staticmethod(lambda: "a case")

    reason = "NotImplementedError: " + " ".join(f"word{i:02d}" for i in range(30))
    rows = [{"case": "c", "pass_": "fwd", "algorithm": "fft", "compare": False, "supported": False,
             "error": reason}]
    summaries = [{"name": "c", "passes": {"fwd": {"fastest": None, "auto": "direct", "auto_ratio": None,
                                                   "times_s": {}}}}]
    lines = _bench_report.format_tables([Case()], rows, summaries)
    words = " ".join(lines).split()
    shown = [w.strip("[].") for w in words if w.startswith("word")]
    assert shown and all(len(w) == 6 for w in shown), shown  # whole words only
    assert shown == [f"word{i:02d}" for i in range(len(shown))]
    assert max(len(line) for line in lines) < 140


def test_algorithm_colours_fixed_and_stable():
    from cnnkern._bench_report import ALGO_COLORS, algo_color

    known = ["direct", "im2col", "fft", "separable", "winograd", "reference", "torch", "scipy", "numpy"]
    assert len({algo_color(a) for a in known}) == len(known)
    assert algo_color("winograd") == ALGO_COLORS["winograd"]
    assert algo_color("some_new_algo") == algo_color("some_new_algo")
    assert algo_color("some_new_algo") not in {algo_color(a) for a in known}


def test_bench_writes_autotune_cache(shapes_file, tmp_path, capsys):
    cache = tmp_path / "tune.json"
    _, res = _run(shapes_file, tmp_path, "--no-plots", "--write-autotune", str(cache))
    assert f"wrote the autotune cache {cache}" in capsys.readouterr().out
    _choose.clear_autotune_cache()
    assert cnnkern.load_autotune_cache(str(cache)) == len(res["cases"]) * len(bench.PASSES)
    entries = _choose.autotune_cache_entries()
    by_case = {c["name"]: c for c in res["cases"]}
    tiny = by_case["tiny"]
    winners = {k["direction"]: a for k, a, _ in entries if list(k["x_shape"]) == tiny["x_shape"]
               and list(k["w_shape"]) == tiny["w_shape"]}
    assert winners == {bench.DIRECTION[p]: tiny["passes"][p]["fastest"] for p in bench.PASSES}
    assert all(k["threads"] == 1 for k, _, _ in entries)


def test_bench_compare_numpy_and_scipy(shapes_file, tmp_path):
    pytest.importorskip("scipy")
    _, res = _run(shapes_file, tmp_path, "--no-plots", "--compare", "numpy,scipy", "--layers", "tiny,tiny_dw")
    rows = {(r["case"], r["pass_"], r["algorithm"]): r for r in res["rows"]}
    assert rows[("tiny", "fwd", "scipy")]["supported"] and rows[("tiny", "fwd", "scipy")]["compare"]
    assert not rows[("tiny", "bwd_input", "scipy")]["supported"]  # forward only
    assert not rows[("tiny_dw", "fwd", "scipy")]["supported"]  # groups > 1
    assert rows[("tiny_dw", "bwd_weight", "numpy")]["supported"]
    for case in res["cases"]:  # comparisons never count as the fastest cnnkern algorithm
        assert all(v["fastest"] in FAST for v in case["passes"].values())


def _tiny_case(stride=1):
    return bench.Case("t", "layer", 2, 3, 4, 9, 8, 3, stride=stride, padding=1)


@pytest.mark.parametrize("stride", [1, 2])
def test_scipy_comparison_computes_the_same_convolution(stride):
    pytest.importorskip("scipy")
    case = _tiny_case(stride)
    x, w, dy = bench._case_arrays(case, np.float64, np.random.default_rng(3))
    y = bench._scipy_calls(case, x, w, dy, 1)["fwd"]()
    np.testing.assert_allclose(y, cnnkern.conv2d_forward(x, w, stride=stride, padding=1), rtol=1e-10, atol=1e-10)


def test_torch_comparison_computes_the_same_passes():
    pytest.importorskip("torch")
    case = _tiny_case(2)
    x, w, dy = bench._case_arrays(case, np.float64, np.random.default_rng(4))
    calls = bench._torch_calls(case, x, w, dy, 1)
    kw = dict(stride=2, padding=1)
    np.testing.assert_allclose(calls["fwd"]().numpy(), cnnkern.conv2d_forward(x, w, **kw), atol=1e-10)
    np.testing.assert_allclose(calls["bwd_input"]().numpy(), cnnkern.conv2d_backward_input(dy, w, x.shape, **kw),
                               atol=1e-10)
    np.testing.assert_allclose(calls["bwd_weight"]().numpy(),
                               cnnkern.conv2d_backward_weight(dy, x, w.shape, **kw), atol=1e-10)


def test_rank1_variants_have_rank1_kernels():
    cases = bench.cases_from_shapes(TINY, rank1_variants=True)
    rank1 = [c for c in cases if c.rank1]
    assert [c.name for c in rank1] == ["sweep_k3_rank1"] and rank1[0].kind == "sweep_rank1"
    _, w, _ = bench._case_arrays(rank1[0], np.float64, np.random.default_rng(0))
    for k in range(w.shape[0]):
        for c in range(w.shape[1]):
            s = np.linalg.svd(w[k, c], compute_uv=False)
            assert s[1] <= 1e-12 * s[0]
    assert not any(c.rank1 for c in bench.cases_from_shapes(TINY))


def test_bench_default_shapes_are_packaged():
    shapes = bench.load_shapes()
    cases = bench.cases_from_shapes(shapes)
    names = {c.name for c in cases}
    assert set(bench.QUICK_LAYERS) <= names and {f"sweep_k{k}" for k in bench.QUICK_SWEEP} <= names
    assert len([c for c in cases if c.kind == "layer"]) == 14
    assert [c.k for c in cases if c.kind == "sweep"] == [1, 3, 5, 7, 9, 11, 15, 21, 31]
    shared = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "shared", "bench", "shapes.json")
    if os.path.exists(shared):  # the packaged copy is the project's shared file
        with open(shared) as fh:
            assert json.load(fh) == shapes


@pytest.mark.parametrize("argv, message", [
    (["--layers", "nope"], "unknown layers ['nope']"),
    (["--algorithms", "nope"], "unknown algorithm 'nope'"),
    (["--passes", "sideways"], "unknown pass 'sideways'"),
    (["--threads", "0"], "--threads must be >= 1"),
    (["--repeat", "0"], "--repeat must be >= 1"),
    (["--compare", "matlab"], "unknown --compare 'matlab'"),
    (["--dtype", "int8"], "invalid choice: 'int8'"),
    (["--threads", "two"], "invalid int value: 'two'"),
])
def test_bench_rejects_bad_arguments(shapes_file, argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--shapes", shapes_file] + argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "not a readable JSON file"),
    ('{"layers": []}', '"conv2d" list and/or a "kernel_sweep"'),
    ('{"conv2d": [{"name": "x", "n": 1}]}', "lacks ['c_in'"),
    ('{"conv2d": [{"name": "x", "n": 1, "c_in": 2, "c_out": 2, "h": 3, "w": 3, "k": 5}]}', "larger than the padded"),
    ('{"conv2d": [{"name": "x", "n": 1, "c_in": 3, "c_out": 2, "h": 3, "w": 3, "k": 1, "groups": 2}]}',
     "does not divide"),
])
def test_bench_rejects_bad_shapes_files(tmp_path, content, message, capsys):
    path = tmp_path / "s.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as exc:
        bench.main(["--shapes", str(path), "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_bench_module_entry_point_help():
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "cnnkern.bench", "--help"], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(cnnkern.__file__)))
    assert res.returncode == 0 and "--shapes" in res.stdout and "--compare" in res.stdout


def test_bench_quick_picks_its_subset_and_three_repeats(shapes_file, tmp_path):
    out = tmp_path / "q"
    assert bench.main(["--quick", "--shapes", shapes_file, "--threads", "1", "--out", str(out), "--no-plots",
                       "--passes", "fwd"]) == 0
    res = json.loads((out / "results.json").read_text())
    # tiny layers are not quick layers
    assert [c["name"] for c in res["cases"]] == ["sweep_k1", "sweep_k3"] + ["sweep_k3_rank1"] * RANK1
    assert res["repeat"] == 3


def test_bench_shapes_with_only_one_section(tmp_path):
    path = tmp_path / "only.json"
    path.write_text(json.dumps({"kernel_sweep": TINY["kernel_sweep"]}))
    _, res = _run(str(path), tmp_path, "--no-plots", "--passes", "bwd_input")
    assert [c["kind"] for c in res["cases"]] == ["sweep", "sweep"] + ["sweep_rank1"] * RANK1


def test_plots_one_legend_one_colour_per_algorithm(shapes_file, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from cnnkern._bench_report import COMPARE_LABEL, algo_color

    by_label = {v: k for k, v in COMPARE_LABEL.items()}
    figures = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    _run(shapes_file, tmp_path)
    assert len(figures) == 2
    for fig in figures:
        assert len(fig.legends) == 1, "one legend for the whole figure"
        assert all(ax.get_legend() is None for ax in fig.axes)
        seen = set()
        for ax in fig.axes:
            drawn = [(line.get_label(), line.get_color()) for line in ax.get_lines()]
            drawn += [(bars.get_label(), patch.get_facecolor()) for bars in ax.containers for patch in bars]
            for label, color in drawn:
                if label and not label.startswith("_"):
                    assert mcolors.same_color(color, algo_color(by_label.get(label, label))), (label, color)
                    seen.add(label)
        assert seen, "no labelled artists found"
        legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
        assert seen <= set(legend_labels), (seen, legend_labels)
