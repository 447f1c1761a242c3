"""cnnkern's per-user cache directory, following each platform's convention (as platformdirs does,
without the dependency):

- Linux and other POSIX: $XDG_CACHE_HOME/cnnkern, else ~/.cache/cnnkern
- macOS: ~/Library/Caches/cnnkern
- Windows: %LOCALAPPDATA%\\cnnkern\\Cache (else ~\\AppData\\Local\\cnnkern\\Cache)

$CNNKERN_CACHE_DIR overrides all of them. Nothing here creates the directory: callers create it when
they write.
"""
import os
import sys
from pathlib import Path

ENV_CACHE_DIR = "CNNKERN_CACHE_DIR"


def cache_dir(platform=None, environ=None):
    """The directory for cnnkern's caches (autotune results, calibration), as a pathlib.Path."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    override = environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override).expanduser()
    home = Path(environ.get("HOME") or environ.get("USERPROFILE") or os.path.expanduser("~"))
    if platform.startswith("win"):
        local = environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "cnnkern" / "Cache"
    if platform == "darwin":
        return home / "Library" / "Caches" / "cnnkern"
    xdg = environ.get("XDG_CACHE_HOME")
    # XDG: a relative $XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache"
    return base / "cnnkern"
