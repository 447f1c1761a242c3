"""The core package and cnnkern.contrib import no framework."""
import subprocess
import sys


def test_core_imports_no_framework():
    code = ("import sys, cnnkern, cnnkern.contrib, cnnkern.contrib.cs231n\n"
            "heavy = [m for m in ('mygrad', 'autograd', 'sklearn', 'tqdm', 'torch') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd="/")
