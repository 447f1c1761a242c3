"""The sdist is complete: build it, build a wheel from it, install that wheel in a fresh venv, use it.

One test, because each step needs the previous one and the wheel build compiles every extension
(~1.5-3 min on 2 cores). It needs no network: the sdist and the wheel are built without build
isolation, with the build requirements of this test venv (Cython, setuptools, numpy -- in the [test]
extra), and the fresh venv sees this venv's packages (numpy, scipy, ...) through a .pth line, after
its own site-packages, so `import cnnkern` there finds only the freshly installed wheel.
Deselect with `pytest -m "not packaging"` while iterating.
"""
import importlib.util
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_MODULES = ("build", "Cython", "setuptools", "wheel", "numpy")

# Source files whose absence from the sdist breaks the build or the package (generated .c excluded).
SOURCE_SUFFIXES = {".c", ".h", ".inc", ".pyx", ".pxd", ".pxi", ".py", ".pyi", ".json"}

SMOKE = r"""
import sys, numpy as np, cnnkern
assert cnnkern.__file__.startswith(sys.prefix), (cnnkern.__file__, sys.prefix)
x = np.random.default_rng(0).standard_normal((2, 3, 9, 9)).astype(np.float32)
w = np.random.default_rng(1).standard_normal((4, 3, 3, 3)).astype(np.float32)
y = cnnkern.conv2d_forward(x, w, padding="same")
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))   # (N, C, H, W, 3, 3)
ref = np.einsum("nchwij,kcij->nkhw", win.astype(np.float64), w.astype(np.float64))
assert y.shape == (2, 4, 9, 9) and y.dtype == np.float32, (y.shape, y.dtype)
assert np.allclose(y, ref, rtol=1e-4, atol=1e-4), float(abs(y - ref).max())
for algo in cnnkern.algorithms():
    if algo != "separable":
        assert np.allclose(cnnkern.conv2d_forward(x, w, padding="same", algorithm=algo), ref, rtol=1e-4, atol=1e-4), algo
cnnkern.show_config()
print("SMOKE-OK")
"""


def _run(cmd, cwd, env=None):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                                  f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def _repo_sources():
    """Files under cnnkern/ and csrc/ that the sdist must carry (Cython's generated C left out)."""
    out = set()
    for top in ("cnnkern", "csrc"):
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT).as_posix()
            if (path.is_file() and path.suffix in SOURCE_SUFFIXES and "__pycache__" not in rel
                    and not (top == "cnnkern" and path.suffix == ".c")):
                out.add(rel)
    return out


@pytest.mark.packaging
def test_sdist_builds_installs_and_runs(tmp_path):
    missing = [m for m in BUILD_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the build tools {missing} are not installed (pip install '.[test]' installs them)")
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not run from a source checkout")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1")
    env.pop("PYTHONPATH", None)

    # 1. The sdist: every source, no generated C, the license.
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", dist, ROOT], ROOT, env)
    (sdist,) = dist.glob("cnnkern-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "src")
    prefix = names[0].split("/")[0]
    inside = {n[len(prefix) + 1:] for n in names if n.startswith(prefix + "/")}
    assert not (_repo_sources() - inside), f"missing from the sdist: {sorted(_repo_sources() - inside)}"
    generated = sorted(n for n in inside if n.startswith("cnnkern/") and n.endswith(".c"))
    assert not generated, f"generated C in the sdist: {generated}"
    for required in ("LICENSE", "README.md", "setup.py", "pyproject.toml", "cnnkern/py.typed"):
        assert required in inside, required

    # 2. A fresh venv seeing this venv's packages only after its own (a .pth line, not
    #    --system-site-packages, which would expose the base interpreter's instead of this venv's).
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    vpy = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    vsite = Path(_run([vpy, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                      tmp_path, env).stdout.strip())
    parent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (vsite / "_parent_venv.pth").write_text("\n".join(sorted(parent)) + "\n")

    # 3. A wheel from the unpacked sdist, built by the fresh venv's Python; then install it there.
    wheels = tmp_path / "wheels"
    _run([vpy, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-w", wheels,
          tmp_path / "src" / prefix], tmp_path, env)
    (wheel,) = wheels.glob("cnnkern-*.whl")
    assert "py3-none-any" not in wheel.name, f"a wheel with no compiled code: {wheel.name}"
    with zipfile.ZipFile(wheel) as zf:
        members = zf.namelist()
    for ext in ("_conv_ext", "_pool_ext", "_signal_ext"):
        assert any(m.startswith(f"cnnkern/{ext}.") and m.endswith((".so", ".pyd")) for m in members), ext
    shipped_sources = [m for m in members if m.endswith((".c", ".pyx", ".pxi", ".pxd"))]
    assert not shipped_sources, f"sources in the wheel: {shipped_sources}"
    assert "cnnkern/py.typed" in members and "cnnkern/__init__.pyi" in members
    assert "cnnkern/data/chooser_constants.json" in members and "cnnkern/data/shapes.json" in members
    # --ignore-installed: the test venv's own cnnkern is visible through the .pth line, and pip would
    # otherwise call the requirement satisfied and install nothing (it never touches that venv)
    _run([vpy, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", wheel], tmp_path, env)

    # 4. Import it from a neutral directory and run convolutions against a NumPy reference.
    proc = _run([vpy, "-c", SMOKE], tmp_path, env)
    assert "SMOKE-OK" in proc.stdout, proc.stdout
