"""cnnkern-bench runs end to end on a tiny shapes file and reports what it timed."""
import json

import pytest

from cnnkern import algorithms, bench

TINY = {"conv2d": [
    {"name": "tiny", "n": 1, "c_in": 4, "c_out": 8, "h": 9, "w": 9, "k": 3, "stride": 1, "pad": 1, "groups": 1},
    {"name": "tiny_dw", "n": 2, "c_in": 4, "c_out": 4, "h": 7, "w": 7, "k": 3, "stride": 2, "pad": 1, "groups": 4},
]}


@pytest.fixture
def shapes_file(tmp_path):
    path = tmp_path / "shapes.json"
    path.write_text(json.dumps(TINY))
    return str(path)


def test_bench_runs_and_writes_json(shapes_file, tmp_path, capsys):
    out = tmp_path / "res.json"
    assert bench.main(["--shapes", shapes_file, "--repeat", "1", "--threads", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    res = json.loads(out.read_text())
    fast = [a for a in algorithms() if a != "reference"]
    # every algorithm times both layers, except that fft declines the strided one (tiny_dw)
    expected = sum(2 - (a == "fft") for a in fast) * len(bench.PASSES)
    assert len(res["rows"]) == expected
    if "fft" in fast:
        assert "(not supported)" in printed
    for row in res["rows"]:
        assert row["median_s"] > 0 and row["gflops"] > 0
        assert f"{row['layer']:<18} {row['algorithm']:<10} {row['pass_']:<11}" in printed


def test_bench_default_shapes_are_packaged():
    names = {layer["name"] for layer in bench.load_shapes()["conv2d"]}
    assert set(bench.QUICK_LAYERS) <= names and len(names) == 14


@pytest.mark.parametrize("argv", [["--layers", "nope"], ["--algorithms", "nope"], ["--passes", "sideways"]])
def test_bench_rejects_bad_arguments(shapes_file, argv):
    with pytest.raises(SystemExit):
        bench.main(["--shapes", shapes_file] + argv)
