# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Safe checkpoint loading on torch >= 2.6 (``weights_only=True``).

MMEngine 0.10.7 checkpoints hold, besides tensors and containers, the message hub's
``HistoryBuffer`` objects with their numpy arrays, and numpy scalars in the runtime info. torch's
safe unpickler rejects those globals, so ``--resume`` fails. We allow-list exactly those globals
(nothing else), keep ``weights_only=True``, and turn the rejection of any other global into an error
that names the file, the globals and the ways out.
"""

import os.path as osp
import pickle
from typing import Any, List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['MMENGINE_CHECKPOINT_GLOBALS', 'UnsafeCheckpointError', 'register_safe_globals', 'safe_torch_load']


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs a global that is not on the allow-list."""


def _numpy_globals() -> List[Any]:
    """The numpy callables and types that pickled numpy arrays and scalars reference."""
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore[no-redef]  # numpy 1.x fallback
    # numpy >= 1.25 builds each dtype as an instance of its own class (numpy.dtypes.Float64DType, ...):
    # torch's unpickler must be allowed to build those, although they never appear as GLOBALs.
    dtype_classes = [type(np.dtype(t)) for t in (np.float64, np.float32, np.int64, np.int32, np.bool_)]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` that resolves only ``HistoryBuffer`` statistics methods.

    ``HistoryBuffer.__getstate__`` stores its statistics functions, which pickle as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing the real ``getattr`` would let a checkpoint
    reach any attribute of any allowed object (``ndarray.tofile``, ...), so this resolves exactly
    those names and refuses everything else.
    """
    allowed = {'min', 'max', 'current', 'mean'} | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({getattr(obj, "__name__", type(obj).__name__)}, {name!r}); '
        'mmssl_ext allows getattr only for HistoryBuffer statistics methods'
    )


#: Every non-torch global an MMEngine 0.10.7 checkpoint references, mapped to what it may resolve to:
#: the message hub's ``HistoryBuffer`` (with its statistics methods through a restricted ``getattr``),
#: numpy arrays, scalars and dtypes (and the dtype classes numpy builds) in its buffers and runtime info, and
#: ``bytes`` for empty arrays.
MMENGINE_CHECKPOINT_GLOBALS: List[Any] = [
    HistoryBuffer,
    (_history_buffer_getattr, 'builtins.getattr'),
    bytes,
    *_numpy_globals(),
]


def _global_name(entry: Any) -> str:
    """The checkpoint-side name of an allow-list entry."""
    if isinstance(entry, tuple):
        return entry[1]
    return f'{entry.__module__}.{entry.__qualname__}'


_REGISTERED = False


def register_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint globals and route its local-file loading through us.

    Adds :data:`MMENGINE_CHECKPOINT_GLOBALS` to torch's safe-unpickler allow-list and registers
    :func:`safe_torch_load` as MMEngine's ``CheckpointLoader`` scheme for local paths. Idempotent.
    """
    global _REGISTERED
    if _REGISTERED:
        return
    torch.serialization.add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)
    CheckpointLoader.register_scheme(prefixes='', force=True)(_load_from_local)
    _REGISTERED = True


def _unsafe_globals(filename: str) -> List[str]:
    try:
        return list(torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except Exception:  # the file may be truncated or not a zip checkpoint
        return []


def safe_torch_load(filename: str, map_location: Optional[Any] = None) -> Any:
    """``torch.load(weights_only=True)`` with the MMEngine allow-list and a clear error.

    Args:
        filename (str): Path of the checkpoint.
        map_location (Any, optional): As in :func:`torch.load`. Defaults to None.

    Returns:
        Any: The loaded checkpoint.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The checkpoint references a global outside the allow-list.
    """
    register_safe_globals()
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        allowed = {_global_name(entry) for entry in MMENGINE_CHECKPOINT_GLOBALS}
        bad = [g for g in _unsafe_globals(filename) if g not in allowed]
        names = ', '.join(bad) if bad else 'an object outside the allow-list (see the torch message below)'
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename}: it needs global(s) {names}, which are not on '
            "mmssl_ext's allow-list of what MMEngine writes (mmssl_ext.utils.MMENGINE_CHECKPOINT_GLOBALS). "
            'Loading it would run arbitrary code from the file. If you trust the file, allow-list those '
            'objects with torch.serialization.add_safe_globals([...]) before loading, or re-save only its '
            f"'state_dict'.\ntorch said: {err}"
        ) from None


def _load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """MMEngine ``CheckpointLoader`` scheme for local paths (replaces mmengine's)."""
    return safe_torch_load(filename, map_location=map_location)
