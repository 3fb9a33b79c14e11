# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Which checkpoint a ``--resume`` may load: complete, finite, and shaped like the model it resumes."""

import glob
import os.path as osp
import re
from typing import List, Optional

import torch.nn as nn
from mmengine.runner import find_latest_checkpoint

from mmssl_ext.utils.checkpoint import safe_torch_load

from ..hooks.non_finite_guard_hook import non_finite_tensors

__all__ = ['checkpoint_problem', 'resume_candidates']

_STEP = re.compile(r'(?:epoch|iter)_(\d+)\.pth$')


def checkpoint_problem(path: str, model: nn.Module) -> Optional[str]:
    """Why ``path`` cannot resume ``model`` (``None`` when it can).

    Checked: the file loads (a truncated or corrupt file does not), it holds a ``state_dict``, every floating
    tensor in it is finite, and every tensor the model also has is of the model's shape (a queue, bank or head
    of another size means another config: MMEngine would skip such tensors with a warning and train on).

    Args:
        path (str): Checkpoint file.
        model (nn.Module): The model to resume (unwrapped).

    Returns:
        str | None: A one-line reason, or ``None``.
    """
    try:
        checkpoint = safe_torch_load(path, map_location='cpu')
    except Exception as err:  # truncated zip, unpickling error, unsafe global: all unusable for a resume
        return f'it does not load ({type(err).__name__}: {str(err).splitlines()[0][:200]})'
    state = checkpoint.get('state_dict') if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        return 'it has no state_dict'
    bad = non_finite_tensors(state)
    if bad:
        return f'{len(bad)} tensors are non-finite (first: {", ".join(bad[:3])})'
    own = model.state_dict()
    mismatched = [
        f"{k} {tuple(v.shape)} vs the model's {tuple(own[k].shape)}"
        for k, v in state.items()
        if k in own and hasattr(v, 'shape') and tuple(v.shape) != tuple(own[k].shape)
    ]
    if mismatched:
        return f'it was written by another config: {"; ".join(mismatched[:3])}'
    return None


def resume_candidates(work_dir: str) -> List[str]:
    """The checkpoints of ``work_dir``, the one ``last_checkpoint`` names first, then newest step first."""
    latest = find_latest_checkpoint(work_dir)

    def step(path: str) -> int:
        match = _STEP.search(osp.basename(path))
        return int(match.group(1)) if match else -1

    others = sorted(glob.glob(osp.join(work_dir, '*.pth')), key=lambda p: (step(p), osp.getmtime(p)), reverse=True)
    ordered = ([latest] if latest and osp.isfile(latest) else []) + others
    return list(dict.fromkeys(osp.abspath(p) for p in ordered))
