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
    tensor in it is finite, every tensor the model also has is of the model's shape (a queue, bank or head
    of another size means another config: MMEngine would skip such tensors with a warning and train on), and it
    holds every parameter of the model and no tensor the model lacks (another method's checkpoint).

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
    other = _other_model(state, model, own)
    if other:
        return other
    mismatched = [
        f"{k} {tuple(v.shape)} vs the model's {tuple(own[k].shape)}"
        for k, v in state.items()
        if k in own and hasattr(v, 'shape') and tuple(v.shape) != tuple(own[k].shape)
    ]
    if mismatched:
        return f'it was written by another config: {"; ".join(mismatched[:3])}'
    return None


def _other_model(state: dict, model: nn.Module, own: dict) -> Optional[str]:
    """Why ``state`` belongs to another method or model: parameters it lacks, tensors the model lacks.

    A missing *buffer* is tolerated (a checkpoint from before a buffer was added loads with the buffer's own
    default, e.g. MoCo's ``queue_filled``); a missing parameter or an extra tensor is not: MMEngine would
    leave the parameter at its initialisation, drop the tensor with a warning, and train on.
    """
    params = {name for name, _ in model.named_parameters()}
    missing = [k for k in own if k in params and k not in state]
    extra = [k for k, v in state.items() if k not in own and hasattr(v, 'shape')]
    if not missing and not extra:
        return None
    parts = []
    if missing:
        parts.append(f'{len(missing)} of the model\'s parameters are not in it (first: {", ".join(missing[:3])})')
    if extra:
        parts.append(f'{len(extra)} of its tensors are not in the model (first: {", ".join(extra[:3])})')
    return f'it was written by another method or model: {"; ".join(parts)}'


def resume_candidates(work_dir: str) -> List[str]:
    """The checkpoints of ``work_dir``, the one ``last_checkpoint`` names first, then newest step first."""
    latest = find_latest_checkpoint(work_dir)

    def step(path: str) -> int:
        match = _STEP.search(osp.basename(path))
        return int(match.group(1)) if match else -1

    others = sorted(glob.glob(osp.join(work_dir, '*.pth')), key=lambda p: (step(p), osp.getmtime(p)), reverse=True)
    ordered = ([latest] if latest and osp.isfile(latest) else []) + others
    return list(dict.fromkeys(osp.abspath(p) for p in ordered))
