#!/usr/bin/env bash
# Run (or, with --dry-run / --check, print) the whole cascade; arguments go to the driver, e.g.
#   adapters/openrlhf/recipes/cascade/run_cascade.sh --set model=/models/sft --set workdir=/ckpt/cascade
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."
exec "${PYTHON:-python3}" -m adapters.openrlhf.cascade "$here" "$@"
