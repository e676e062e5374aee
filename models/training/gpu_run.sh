#!/usr/bin/env bash
# The lent GPU's one command: bash models/training/gpu_run.sh OUT [BUDGET_SECONDS] [--smoke ...]
# (gpu_run.py says what it runs). The corpus files and jieba travel in .gpudata/ at the repository
# root when the machine has no ../shared/data: .gpudata/ is MEDNER_DATA, .gpudata/pylib goes on PYTHONPATH.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: gpu_run.sh OUT [BUDGET_SECONDS] [--smoke]}
shift
if [ -d "$ROOT/.gpudata" ]; then
  export MEDNER_DATA="${MEDNER_DATA:-$ROOT/.gpudata}"
  export PYTHONPATH="$ROOT/.gpudata/pylib${PYTHONPATH:+:$PYTHONPATH}"
fi
mkdir -p "$OUT"
exec "${PYTHON:-python3}" "$ROOT/models/training/gpu_run.py" "$OUT" "$@"
