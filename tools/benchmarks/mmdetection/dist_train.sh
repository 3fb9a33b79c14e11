#!/usr/bin/env bash
# COCO transfer with mmdet on NGPUS processes (torchrun): train, then test.
#   bash tools/benchmarks/mmdetection/dist_train.sh MMDET_CONFIG PRETRAIN NGPUS [train.py options]
# PRETRAIN: a full mmssl_ext checkpoint, an extracted backbone file, or 'random'. Options as
# tools/benchmarks/mmdetection/train.py (--data-root, --work-dir, --img-scale W H, --cfg-options ...).
# NGPUS=1 runs one process without torchrun. Without CUDA the processes run on the CPU with gloo.
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT from the environment.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: bash $0 MMDET_CONFIG PRETRAIN NGPUS [tools/benchmarks/mmdetection/train.py options]" >&2
  exit 2
fi
CONFIG=$1
PRETRAIN=$2
NGPUS=$3
shift 3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PYTHON=${PYTHON:-$( [[ -x "$ROOT/.venv/bin/python" ]] && echo "$ROOT/.venv/bin/python" || echo python3 )}
SCRIPT="$ROOT/tools/benchmarks/mmdetection/train.py"
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"
if [[ "$NGPUS" == 1 && "${NNODES:-1}" == 1 ]]; then
  exec "$PYTHON" "$SCRIPT" "$CONFIG" "$PRETRAIN" "$@"
fi
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$PYTHON" -m torch.distributed.run \
  --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
  --nproc_per_node="$NGPUS" --master_port="${PORT:-29500}" \
  "$SCRIPT" "$CONFIG" "$PRETRAIN" --launcher pytorch "$@"
