# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The random-number generators of the training process, as a checkpoint-safe value.

A resumed run draws the same random numbers as the uninterrupted one only if every generator the step and the
data pipeline use continues from where it was: Python's ``random``, NumPy's global generator, torch's CPU
generator and, where there is one, every CUDA device's. MMEngine re-seeds them all from the seed on resume
(the state at iteration 0, not at the checkpoint); :func:`rng_state` captures them as tensors and plain
values (loadable with ``torch.load(weights_only=True)``) and :func:`set_rng_state` puts them back.
"""

import contextlib
import random
from typing import Any, Dict, Iterator, Tuple, cast

import numpy as np
import torch

__all__ = ['rng_state', 'set_rng_state', 'preserved_rng_state']


def rng_state() -> Dict[str, Any]:
    """The state of every generator of this process.

    Returns:
        dict: ``python`` (version, 625-int tensor, gauss), ``numpy`` (the 624-word key as a tensor, position,
        has_gauss, cached_gaussian), ``torch`` (the CPU generator's byte tensor) and ``cuda`` (one byte tensor per
        device; empty without CUDA).
    """
    version, words, gauss = random.getstate()
    # The stubs give ``tuple | dict``; the legacy state of the global MT19937 generator is this 5-tuple.
    name, key, pos, has_gauss, cached = cast(Tuple[str, np.ndarray, int, int, float], np.random.get_state())
    if name != 'MT19937':
        raise RuntimeError(f'NumPy global generator {name!r} is not MT19937: its state cannot be checkpointed')
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return dict(
        python=(version, torch.tensor(words, dtype=torch.int64), gauss),
        numpy=(torch.from_numpy(key.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        torch=torch.get_rng_state(),
        cuda=list(cuda),
    )


def set_rng_state(state: Dict[str, Any]) -> None:
    """Put every generator of this process back to ``state`` (from :func:`rng_state`).

    Args:
        state (dict): A state from :func:`rng_state`. CUDA states are restored for as many devices as both the
            state and this process have.
    """
    version, words, gauss = state['python']
    random.setstate((version, tuple(int(w) for w in words.tolist()), gauss))
    key, pos, has_gauss, cached = state['numpy']
    np.random.set_state(('MT19937', key.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    cuda = state.get('cuda') or []
    if cuda and torch.cuda.is_available():
        for device, device_state in enumerate(cuda[: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(device_state, device)


@contextlib.contextmanager
def preserved_rng_state() -> Iterator[None]:
    """Run the body without leaving a trace on any generator (e.g. replaying batches that were trained)."""
    state = rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
