# Copyright (c) mmssl_ext contributors. All rights reserved.
"""A local file backend whose writes are atomic: a killed save never leaves a truncated checkpoint."""

import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

__all__ = ['ATOMIC_BACKEND', 'AtomicLocalBackend']

#: The name configs give in ``backend_args=dict(backend=...)`` (CheckpointHook, runner.save_checkpoint).
ATOMIC_BACKEND = 'mmssl_atomic_local'


class AtomicLocalBackend(LocalBackend):
    """:class:`LocalBackend` whose ``put`` and ``put_text`` are atomic.

    Each write goes to a temporary file in the target's folder, is flushed to disk and renamed over the target
    (``os.replace``, atomic on POSIX and Windows).

    A process killed during a checkpoint save leaves the previous file (or none) and at most a hidden
    ``.<name>.*.tmp`` file, never a truncated checkpoint under the real name. Selected per config, e.g.
    ``default_hooks.checkpoint.backend_args = dict(backend='mmssl_atomic_local')`` (the default runtime does);
    nothing else in MMEngine changes.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically.

        Args:
            obj (bytes): Data.
            filepath (str | Path): Destination.
        """
        self._atomic_write(obj, str(filepath), 'wb')

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write the text ``obj`` to ``filepath`` atomically.

        Args:
            obj (str): Text.
            filepath (str | Path): Destination.
            encoding (str): Text encoding. Defaults to 'utf-8'.
        """
        self._atomic_write(obj.encode(encoding), str(filepath), 'wb')

    @staticmethod
    def _atomic_write(data: bytes, filepath: str, mode: str) -> None:
        folder = osp.dirname(osp.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=folder)
        try:
            with os.fdopen(fd, mode) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise


register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)
