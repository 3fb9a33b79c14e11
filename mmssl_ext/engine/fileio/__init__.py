# Copyright (c) mmssl_ext contributors. All rights reserved.
"""File backends registered with MMEngine's ``register_backend`` (selected by ``backend_args``)."""

from .atomic_local_backend import ATOMIC_BACKEND, AtomicLocalBackend

__all__ = ['ATOMIC_BACKEND', 'AtomicLocalBackend']
