"""cnnkern._cachedir.cache_dir(): each platform's convention, and the override."""
from pathlib import Path

import pytest

from cnnkern._cachedir import cache_dir


@pytest.mark.parametrize("platform, environ, expected", [
    ("linux", {"HOME": "/h"}, "/h/.cache/cnnkern"),
    ("linux", {"HOME": "/h", "XDG_CACHE_HOME": "/x"}, "/x/cnnkern"),
    ("linux", {"HOME": "/h", "XDG_CACHE_HOME": "relative"}, "/h/.cache/cnnkern"),  # invalid per XDG
    ("freebsd13", {"HOME": "/h"}, "/h/.cache/cnnkern"),
    ("darwin", {"HOME": "/Users/u", "XDG_CACHE_HOME": "/x"}, "/Users/u/Library/Caches/cnnkern"),
    ("win32", {"USERPROFILE": "C:/Users/u", "LOCALAPPDATA": "C:/Users/u/AppData/Local"},
     "C:/Users/u/AppData/Local/cnnkern/Cache"),
    ("win32", {"USERPROFILE": "C:/Users/u"}, "C:/Users/u/AppData/Local/cnnkern/Cache"),
    ("darwin", {"HOME": "/Users/u", "CNNKERN_CACHE_DIR": "/tmp/ck"}, "/tmp/ck"),
])
def test_platform_conventions(platform, environ, expected):
    got = cache_dir(platform=platform, environ=environ)
    assert isinstance(got, Path)
    assert got == Path(expected)


def test_default_is_this_platforms(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNKERN_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("CNNKERN_CACHE_DIR")
    assert cache_dir().name in ("cnnkern", "Cache")
