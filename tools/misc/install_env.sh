#!/usr/bin/env bash
# Install everything mmssl_ext needs into ./.venv (idempotent; reuses what is there).
#
# Steps: venv -> torch/torchvision -> build tools + mmengine -> mmcv 2.1.0 with compiled ops
# (built once, wheel cached in $MMSSL_WHEEL_CACHE keyed by mmcv/torch/python) -> mmpretrain, mmdet,
# runtime + test requirements -> mmssl_ext (editable) -> import checks.
# Every step prints a banner; a failing step exits non-zero naming the step.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"
MMCV_VERSION=2.1.0
TORCH_VERSION=$(sed -n 's/^torch==//p' requirements/torch.txt)
CACHE_ROOT="${MMSSL_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmssl_ext/wheels}"
STAMP="$VENV/.mmssl_ext_installed"

step() { CURRENT_STEP="$1"; echo; echo "==> [install] $1"; }
fail() { echo "!! [install] step failed: ${CURRENT_STEP:-?} (see the output above)" >&2; }
trap fail ERR

# Everything that decides the environment: when it changes, the install is redone.
want_hash=$(cat requirements/*.txt setup.py tools/misc/install_env.sh 2>/dev/null | sha256sum | cut -c1-16)
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_hash" && "${FORCE_INSTALL:-0}" != 1 ]]; then
  echo "==> [install] .venv is up to date ($want_hash); nothing to do"
  exit 0
fi

step "1/7 virtual environment at $VENV"
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
PYV=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')

step "2/7 torch $TORCH_VERSION + torchvision"
"${PIP[@]}" install --progress-bar off -r requirements/torch.txt

step "3/7 build tools and mmengine"
"${PIP[@]}" install --progress-bar off -r requirements/build.txt "mmengine==0.10.7" -r requirements/runtime.txt

step "4/7 mmcv $MMCV_VERSION with compiled ops"
KEY="mmcv-${MMCV_VERSION}_torch-${TORCH_VERSION}_${PYV}"
WHEEL_DIR="$CACHE_ROOT/$KEY"
if "$PY" -c "import mmcv, sys; from mmcv.ops import nms; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
  echo "mmcv $MMCV_VERSION with ops already installed"
else
  # Three paths, cheapest first: the wheel cached by an earlier install (seconds); a prebuilt wheel from
  # OpenMMLab's index for this torch/CUDA/Python (a download, about a minute); a build from source (about 20-28
  # minutes on 2 cores). MMCV_FROM=source skips the index, MMCV_FROM=prebuilt refuses to build.
  MMCV_FROM="${MMCV_FROM:-auto}"
  if ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    echo "mmcv path: cached wheel from $WHEEL_DIR"
  elif [[ "$MMCV_FROM" != source ]] && INDEX=$("$PY" tools/misc/mmcv_wheel.py --mmcv "$MMCV_VERSION"); then
    echo "mmcv path: prebuilt wheel from $INDEX"
    mkdir -p "$WHEEL_DIR"
    "${PIP[@]}" download --no-deps --only-binary :all: -f "$INDEX" -d "$WHEEL_DIR" "mmcv==$MMCV_VERSION"
  elif [[ "$MMCV_FROM" == prebuilt ]]; then
    echo "MMCV_FROM=prebuilt, but no prebuilt mmcv $MMCV_VERSION wheel can be had (the line above says why)" >&2
    false
  else
    if [[ "$MMCV_FROM" == source ]]; then
      echo "mmcv path: build from source (MMCV_FROM=source)"
    else
      echo "mmcv path: build from source, since no prebuilt wheel can be had (the line above says why)"
    fi
    echo "building mmcv $MMCV_VERSION with ops: about 20-28 minutes on 2 cores; one line per compiled file"
    BUILD=$(mktemp -d)
    "${PIP[@]}" download --no-deps --no-binary :all: --no-build-isolation -d "$BUILD" "mmcv==$MMCV_VERSION"
    tar xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    # torch >= 2.4 headers need C++20; mmcv 2.1.0's setup.py hard-codes c++14/17.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    grep -q -- '-std=c++20' "$SRC/setup.py"
    # -v streams ninja's "[i/n] ... -c SOURCE ..." lines; show "[i/n] SOURCE", keep the whole log.
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" "${PIP[@]}" wheel -v --no-deps --no-build-isolation \
      -w "$BUILD/dist" "$SRC" 2>&1 | tee "$BUILD/build.log" | awk -f tools/misc/build_progress.awk \
      || { echo "mmcv build failed; full log: $BUILD/build.log" >&2; tail -n 40 "$BUILD/build.log" >&2; false; }
    mkdir -p "$WHEEL_DIR"
    cp "$BUILD"/dist/mmcv-*.whl "$WHEEL_DIR/"
    rm -rf "$BUILD"
  fi
  "${PIP[@]}" install --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
  # mmcv's own pure-Python requirements (addict, yapf, ...), without touching torch.
  "${PIP[@]}" install --progress-bar off addict packaging pyyaml "yapf" opencv-python
fi

step "5/7 mmpretrain, mmdet, runtime and test requirements"
"${PIP[@]}" install --progress-bar off -r requirements/venv_pins.txt -r requirements/runtime.txt \
  -r requirements/tests.txt -r requirements/docs.txt

# openmim without its dependencies: its opendatalab -> openxlab chain pins setuptools 60, requests 2.28 and
# tqdm 4.65; mim train / test / search need only what tests.txt lists.
"${PIP[@]}" install --progress-bar off --no-deps openmim==0.3.9
# timm for convert_to_timm.py's test, also without dependencies (huggingface_hub would come with them, and pip would
# raise setuptools to torch's own >=77, past the <70 mmcv 2.1.0's setup.py needs); loading local weights needs only
# safetensors beside torch.
"${PIP[@]}" install --progress-bar off --no-deps timm==1.0.31 safetensors==0.8.0

step "6/7 mmssl_ext (editable, setup.py develop)"
# --no-use-pep517: a setup.py develop install (an .egg-link to this tree) rather than a PEP 660 one. MMEngine's
# and mim's get_installed_path look for the package next to its metadata, which a PEP 660 editable install keeps
# in site-packages, away from the code: `mmssl_ext::` configs and `mim train mmssl_ext` would not be found.
"${PIP[@]}" install --no-deps --no-build-isolation --no-use-pep517 -e .

step "7/7 import checks"
"$PY" - <<'PYCHECK'
import torch, torchvision, mmengine, mmcv, mmpretrain, mmdet
from mmcv.ops import nms, roi_align
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
assert keep.tolist() == [0, 2], keep
import mmssl_ext
from mmengine.utils import get_installed_path
import os.path as osp
assert osp.isfile(osp.join(get_installed_path('mmssl_ext'), '.mim', 'model-index.yml')), 'mmssl_ext/.mim missing'
print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, mmengine {mmengine.__version__}, "
      f"mmcv {mmcv.__version__} (ops ok), mmpretrain {mmpretrain.__version__}, mmdet {mmdet.__version__}, "
      f"mmssl_ext {mmssl_ext.__version__}")
PYCHECK
echo "$want_hash" > "$STAMP"
echo "==> [install] done"
