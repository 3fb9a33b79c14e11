# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Count the ops that make the host wait for the device (``.item()``, data-dependent shapes), on any device."""

import collections
import os.path as osp
import traceback
from typing import Counter, Optional, Tuple

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ['SYNC_OPS', 'HostSyncCounter']

SYNC_OPS = frozenset(
    {
        '_local_scalar_dense',  # .item(), bool(), int(), float() of a tensor
        'nonzero',  # and boolean-mask indexing, which calls it
        '_unique2',
        'unique_dim',
        'unique_consecutive',
        'equal',
        'masked_select',
        'bincount',
        'repeat_interleave',
        'is_nonzero',
    }
)
"""ATen ops whose result needs a value (or a shape) computed on the device: each is a host-device sync on CUDA."""

_THIS_FILE = osp.abspath(__file__)  # its own frames are not the source line of a sync


class HostSyncCounter(TorchDispatchMode):
    """Context manager counting :data:`SYNC_OPS` (and boolean-mask indexing) by op and source line.

    It works on CPU too, where the ops cost nothing, so a test or a bench can count the sync points a GPU
    run would have. The source line is the innermost frame whose file path contains one of ``scopes``.

    Args:
        scopes (Tuple[str, ...]): Path fragments of the frames to report. Defaults to
            ('mmssl_ext', 'mmpretrain', 'mmengine').

    Example:
        >>> with HostSyncCounter() as counter:
        ...     model.train_step(batch, optim_wrapper)
        >>> counter.total, counter.calls.most_common(3)
    """

    def __init__(self, scopes: Tuple[str, ...] = ('mmssl_ext', 'mmpretrain', 'mmengine')) -> None:
        super().__init__()
        self.scopes = scopes
        self.calls: Counter = collections.Counter()

    @property
    def total(self) -> int:
        """Number of sync points seen."""
        return sum(self.calls.values())

    def _where(self) -> Optional[str]:
        for frame in reversed(traceback.extract_stack()):
            if any(s in frame.filename for s in self.scopes) and osp.abspath(frame.filename) != _THIS_FILE:
                path = frame.filename
                for cut in ('site-packages/', '/mmssl_ext/'):
                    if cut in path:
                        path = ('mmssl_ext/' if cut == '/mmssl_ext/' else '') + path.split(cut)[-1]
                return f'{path}:{frame.lineno}'
        return None

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: D105
        kwargs = kwargs or {}
        name = func._schema.name.split('::')[-1]
        is_sync = name in SYNC_OPS
        if not is_sync and name in ('index', 'index_put', 'index_put_') and len(args) > 1:
            # boolean-mask indexing: the number of selected entries decides the shape
            is_sync = any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in (args[1] or ()))
        if is_sync:
            self.calls[(name, self._where())] += 1
        return func(*args, **kwargs)
