"""The committed type stubs match the runtime signatures, and mypy --strict accepts a typed example."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT / "tools" / "gen_stubs.py"

pytestmark = pytest.mark.skipif(not GEN.exists(), reason="not run from a source checkout")


def test_stubs_match_runtime_signatures():
    proc = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True, cwd=ROOT.parent)
    assert proc.returncode == 0, (
        "cnnkern's .pyi stubs differ from the runtime signatures: run tools/gen_stubs.py and commit the "
        "result.\n" + proc.stdout[-6000:] + proc.stderr[-2000:])


def test_stubs_cover_every_public_name():
    import cnnkern

    text = (ROOT / "cnnkern" / "__init__.pyi").read_text()
    missing = [n for n in cnnkern.__all__ if f"def {n}(" not in text and f"class {n}" not in text]
    assert not missing, f"public names without a stub: {missing} (run tools/gen_stubs.py)"
    assert (ROOT / "cnnkern" / "py.typed").exists()


def _mypy(*files, cwd):
    env = dict(os.environ, MYPYPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", *map(str, files)],
                          capture_output=True, text=True, cwd=cwd, env=env)


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (it is in the [test] extra)")
def test_mypy_strict_on_typed_example(tmp_path):
    proc = _mypy(ROOT / "examples" / "typed_usage.py", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # ... and the stubs are what mypy read: a misspelt padding mode and a wrong result type are errors.
    bad = tmp_path / "bad_usage.py"
    bad.write_text("import numpy as np\nimport cnnkern\n"
                   "x = np.zeros((1, 1, 4, 4), np.float32)\n"
                   "y = cnnkern.conv2d_forward(x, x, padding_mode='zero')\n"
                   "n: str = cnnkern.get_num_threads()\n")
    proc = _mypy(bad, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "padding_mode" in proc.stdout and "Found 2 errors" in proc.stdout, proc.stdout
