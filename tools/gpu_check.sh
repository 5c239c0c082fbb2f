#!/usr/bin/env bash
# The GPU check of issue 57 in one command, from a fresh clone on a machine with a CUDA GPU:
#   bash tools/gpu_check.sh ../shared/data/midi [--out DIR] [--rehearse] [--no-install]
# It runs tools/gpu_check.py with $PYTHON (default python3): what it checks, its summary line and exit codes are
# described there (0 all as expected, 1 a step failed, 3 no CUDA GPU visible).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec "${PYTHON:-python3}" -m tools.gpu_check "$@"
