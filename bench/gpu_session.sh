#!/usr/bin/env bash
# The one script a session lent a GPU runs (issue #17 goal 8), in the repository root, in
# well under 10 minutes:  bash bench/gpu_session.sh   (results under $OUT).
#
# 1. install: README's `pip install -e ".[dev]"` cannot run there (nothing can be fetched on
#    the device machine; its image's python3 holds a CUDA torch, numpy, scipy, sympy, pytest,
#    hypothesis, rich): the source tree runs from PYTHONPATH, pytest runs with the ini's
#    addopts off (they need the installed plugin), and python-flint (the arb soundness tests)
#    comes from carried wheels in wheels/ or shared/wheels/ when the image lacks it (a
#    session fetches one beforehand: pip download python-flint --only-binary=:all:
#    --python-version 3.12 -d wheels);
# 2. the CUDA tests (tests/test_device.py, tests/test_certify_torch.py; arb tests skip
#    without python-flint);
# 3. python -m bench.gpu_vs_cpu (CPU 2 threads vs CUDA, same witnesses), --quick if the full
#    run does not finish in its slot;
# 4. everything under $OUT: nvidia-smi, pip show torch, test log, gpu_vs_cpu.{json,md}.
# Afterwards, copy $OUT/gpu_vs_cpu.{json,md} to reports/benchmarks/ and commit them.
set -u
OUT=${OUT:-/tmp/relverify-gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONPATH=$PWD
{
  date -u
  nvidia-smi || true
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
} > "$OUT/machine.txt" 2>&1
if ! $PY -c "import flint" 2>/dev/null; then
  for d in wheels shared/wheels; do
    [ -d "$d" ] && $PY -m pip install -q --no-index --find-links "$d" python-flint >> "$OUT/install.txt" 2>&1
  done
fi
timeout 150 $PY -m pytest -o addopts="" -p no:cacheprovider -q -rs \
  tests/test_device.py tests/test_certify_torch.py > "$OUT/cuda_tests.txt" 2>&1
echo "pytest exit $?" >> "$OUT/cuda_tests.txt"
if ! timeout 330 $PY -m bench.gpu_vs_cpu --out "$OUT" > "$OUT/bench.txt" 2>&1; then
  echo "full run did not finish: --quick" >> "$OUT/bench.txt"
  timeout 100 $PY -m bench.gpu_vs_cpu --quick --out "$OUT" >> "$OUT/bench.txt" 2>&1
fi
tail -n 30 "$OUT/cuda_tests.txt" "$OUT/gpu_vs_cpu.md" 2>/dev/null
