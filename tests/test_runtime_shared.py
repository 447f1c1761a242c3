"""One runtime state for the package (csrc/include/cnnkern/ck_runtime.h): the ISA cap and the allocation
counters set or read through cnnkern._conv_ext are those the pooling and signal modules' C code uses."""
import pytest

from cnnkern import _conv_ext, _pool_ext, _signal_ext

CLIENTS = [_pool_ext, _signal_ext]


@pytest.mark.parametrize("mod", CLIENTS, ids=lambda m: m.__name__)
def test_isa_cap_is_shared(mod):
    best = _conv_ext.runtime_info()["isa"]
    try:
        for name in ("generic", "avx2", "avx512"):
            _conv_ext.set_isa_cap(name)
            want = _conv_ext.runtime_info()["isa"]
            assert mod._runtime_probe(64)[0] == want
        _conv_ext.set_isa_cap("generic")
        assert mod._runtime_probe(64)[0] == "generic"
    finally:
        _conv_ext.set_isa_cap("avx512")
    assert _conv_ext.runtime_info()["isa"] == best


@pytest.mark.parametrize("mod", CLIENTS, ids=lambda m: m.__name__)
def test_allocation_counters_are_shared(mod):
    nbytes = 3 << 20
    _conv_ext.workspace_reset_peak()
    cur, peak = _conv_ext.workspace_bytes()
    assert peak == cur
    _, held = mod._runtime_probe(nbytes)
    # the client's block was counted by the counters _conv_ext reads (separate copies would not move)
    assert held >= cur + nbytes
    assert _conv_ext.workspace_bytes()[1] >= cur + nbytes
    assert _conv_ext.workspace_bytes()[0] == cur
