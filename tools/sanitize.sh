#!/usr/bin/env bash
# ASan + UBSan run of the test suite and the fuzz driver.
#
#   tools/sanitize.sh [MINUTES] [VENV]      (defaults: 10 minutes of fuzzing, ./.venv-asan)
#
# Builds cnnkern with -fsanitize=address,undefined (-O1 -g, frame pointers) into a separate venv,
# then runs, with libasan preloaded into the Python process (Python itself is not instrumented):
#   1. the test suite (pytest tests -x -q),
#   2. the fuzz driver for MINUTES minutes (tests/fuzz/run_fuzz.py: restarts after crashes, prints
#      calls / ok / raised / failures / known / crashes / sanitizer reports and the seeds).
# Leak detection is off (CPython's own allocations at exit would drown real reports); UBSan prints
# "runtime error:" lines, which run_fuzz.py counts as sanitizer reports. Environment overrides:
# SANITIZE_SKIP_BUILD=1 reuses the venv's build; SANITIZE_SKIP_TESTS=1 runs only the fuzzing.
set -euo pipefail
MINUTES=${1:-10}
VENV=${2:-.venv-asan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CC_BIN=${CC:-gcc}
LIBASAN=$($CC_BIN -print-file-name=libasan.so)
LIBUBSAN=$($CC_BIN -print-file-name=libubsan.so)
if [ ! -e "$LIBASAN" ]; then
    echo "sanitize.sh: libasan.so not found for $CC_BIN" >&2
    exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q cython "setuptools>=77" wheel numpy
fi
if [ -z "${SANITIZE_SKIP_BUILD:-}" ]; then
    rm -rf build
    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
    # -fno-sanitize-recover: a UBSan finding aborts the call, so the fuzz runner reports it as a crash
    CFLAGS="$SAN" LDFLAGS="-fsanitize=address,undefined" CC="$CC_BIN" \
        "$VENV/bin/pip" install -q --no-build-isolation ".[test]"
    rm -rf build  # the next normal build must not pick up instrumented objects
fi
export LD_PRELOAD="$LIBASAN $LIBUBSAN"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
if [ -z "${SANITIZE_SKIP_TESTS:-}" ]; then
    # the venv's pytest script, not "python -m pytest" (that would import the uncompiled checkout)
    "$VENV/bin/pytest" tests -x -q -p no:cacheprovider --ignore=tests/test_fuzz.py
fi
"$VENV/bin/python" tests/fuzz/run_fuzz.py --minutes "$MINUTES" --seed "${SANITIZE_SEED:-1000}"
