"""How the build is reported: a serial (no-OpenMP) build says so in show_config() and warns once when
more than one thread is asked for."""
import warnings

import pytest

import cnnkern
from cnnkern import _conv_ext, _threads


@pytest.fixture
def serial_build(monkeypatch):
    real = _conv_ext.runtime_info
    monkeypatch.setattr(_conv_ext, "runtime_info", lambda: dict(real(), openmp=False))
    monkeypatch.setattr(_threads, "_serial_build_warned", False)
    previous = cnnkern.get_num_threads()
    yield
    _threads._serial_build_warned = True  # restoring the count must not warn (monkeypatch undoes this)
    cnnkern.set_num_threads(previous)


def test_serial_build_warns_once(serial_build):
    cnnkern.set_num_threads(1)  # one thread: nothing to warn about, and the warning is still to come
    with pytest.warns(RuntimeWarning, match=r"set_num_threads\(2\).*without OpenMP"):
        cnnkern.set_num_threads(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cnnkern.set_num_threads(3)
        with cnnkern.num_threads(2):
            pass


def test_serial_build_in_show_config(serial_build, capsys):
    cnnkern.show_config()
    assert "OpenMP: NO -- built without OpenMP" in capsys.readouterr().out


def test_openmp_build_does_not_warn(monkeypatch):
    if not _conv_ext.runtime_info()["openmp"]:
        pytest.skip("this build has no OpenMP")
    monkeypatch.setattr(_threads, "_serial_build_warned", False)
    previous = cnnkern.get_num_threads()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cnnkern.set_num_threads(2)
    cnnkern.set_num_threads(previous)
