#!/usr/bin/env bash
# The GPU check in one go, for a session that has a GPU machine for a few minutes.
#
#   benchmarks/gpu_check.sh                      # on the GPU machine, from anywhere
#   benchmarks/gpu_check.sh --bundle-test-deps   # beforehand, on the development machine
#
# On the GPU machine it prints the GPU and the Python, NumPy and CuPy versions, runs
# tests/test_cupy.py, tests/test_cupy_api.py and every other test marked `gpu`, then CUDA
# graph capture on vs off (bench_cuda_graphs.py) and the benchmarks W1-W4 on /GPU:0 (3 timed
# blocks per figure). It installs nothing: the engine needs only NumPy and CuPy
# there. The tests also need pytest and hypothesis; where the machine lacks them and
# benchmarks/results/gpu-test-deps exists (made by --bundle-test-deps here, and carried
# along: it is git-ignored), that folder goes on PYTHONPATH. Without either, the tests
# are skipped with a message and the benchmark still runs.
#
# Outputs go to $OUT when it is set (else benchmarks/results): gpu_tests.txt,
# cuda_graphs.txt/.json, gpu_bench.txt and gpu_bench.json. Environment: PYTHON (default:
# python3 or python, the first that imports CuPy), GPU_TEST_TIMEOUT (default 180 s) and GPU_BENCH_TIMEOUT (default
# 240 s). The exit status is 0 when every step that ran succeeded.

set -u
cd "$(dirname "$0")/.." || exit 1
DEPS=benchmarks/results/gpu-test-deps

if [ "${1:-}" = "--bundle-test-deps" ]; then
    # Copies pytest, hypothesis and their pure-Python dependencies out of .venv, so that
    # a machine without a package registry can run the tests (about 7 MB).
    site=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
        || { echo "no .venv here: run this on the development machine"; exit 1; }
    rm -rf "$DEPS" && mkdir -p "$DEPS"
    for name in _pytest pytest py.py pluggy iniconfig packaging hypothesis \
                _hypothesis_ftz_detector.py _hypothesis_globals.py _hypothesis_pytestplugin.py \
                sortedcontainers attr attrs pytest_timeout.py; do
        [ -e "$site/$name" ] && cp -r "$site/$name" "$DEPS/"
    done
    for name in pytest pluggy iniconfig packaging hypothesis sortedcontainers attrs \
                pytest_timeout; do  # dist-info: versions and plugin entry points
        cp -r "$site/$name"-*.dist-info "$DEPS/" 2>/dev/null
    done
    find "$DEPS" -name __pycache__ -type d -prune -exec rm -rf {} +
    echo "bundled into $DEPS ($(du -sh "$DEPS" | cut -f1)); carry it to the GPU machine"
    exit 0
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then  # the first interpreter that imports CuPy, else the first there is
    for candidate in python3 python; do
        if command -v "$candidate" >/dev/null && "$candidate" -c "import cupy" 2>/dev/null; then
            PY=$(command -v "$candidate"); break
        fi
    done
    PY=${PY:-$(command -v python3 || command -v python)}
fi
OUT_DIR=${OUT:-benchmarks/results}
mkdir -p "$OUT_DIR"
TIMEOUT=$(command -v timeout || true)
limit() { if [ -n "$TIMEOUT" ]; then "$TIMEOUT" "$@"; else shift; "$@"; fi; }
status=0

echo "== GPU"
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
else
    echo "nvidia-smi not found"
fi

echo "== Python, NumPy, CuPy"
"$PY" - <<'EOF' || status=1
import sys

import numpy

print("Python", sys.version.split()[0], "| NumPy", numpy.__version__)
try:
    import cupy

    print("CuPy", cupy.__version__, "| CUDA devices", cupy.cuda.runtime.getDeviceCount(),
          "| CUDA runtime", cupy.cuda.runtime.runtimeGetVersion())
except Exception as exc:  # a missing CuPy or driver: the benchmark will say more
    print("CuPy not usable:", type(exc).__name__, exc)
EOF

echo "== tests/test_cupy.py tests/test_cupy_api.py"
if ! "$PY" -c "import pytest, hypothesis" 2>/dev/null && [ -d "$DEPS" ]; then
    export PYTHONPATH="$PWD/$DEPS${PYTHONPATH:+:$PYTHONPATH}"
    echo "(pytest and hypothesis from $DEPS)"
fi
if "$PY" -c "import pytest, hypothesis" 2>/dev/null; then
    limit "${GPU_TEST_TIMEOUT:-180}" "$PY" -m pytest tests/test_cupy.py tests/test_cupy_api.py \
        -q -p no:cacheprovider 2>&1 | tee "$OUT_DIR/gpu_tests.txt"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    echo "== every other test marked gpu (CUDA graphs, fused kernels, layers)"
    limit "${GPU_TEST_TIMEOUT:-180}" "$PY" -m pytest tests -m gpu -q -p no:cacheprovider \
        --ignore=tests/browser --ignore=tests/test_cupy.py --ignore=tests/test_cupy_api.py \
        --continue-on-collection-errors 2>&1 | tee -a "$OUT_DIR/gpu_tests.txt"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
    echo "skipped: pytest or hypothesis is missing and $DEPS does not exist" \
         "(run benchmarks/gpu_check.sh --bundle-test-deps on the development machine)" \
        | tee "$OUT_DIR/gpu_tests.txt"
fi

echo "== CUDA graph capture on vs off (benchmarks/bench_cuda_graphs.py)"
limit "${GPU_BENCH_TIMEOUT:-240}" "$PY" benchmarks/bench_cuda_graphs.py --workloads W2,W3,W4 --fit \
    --json "$OUT_DIR/cuda_graphs.json" 2>&1 | tee "$OUT_DIR/cuda_graphs.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== benchmarks W1-W4 on /GPU:0"
# One BLAS thread, as for the CPU figures, so the NumPy (CPU) columns compare across runs.
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 limit "${GPU_BENCH_TIMEOUT:-240}" \
    "$PY" benchmarks/bench_engine.py --device /GPU:0 --workloads W1,W2,W3,W4 --repeats 3 \
    --json "$OUT_DIR/gpu_bench.json" 2>&1 | tee "$OUT_DIR/gpu_bench.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== done (status $status); outputs in $OUT_DIR"
exit $status
