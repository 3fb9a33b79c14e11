# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Checkpoint the random-number generators, and continue them on resume."""

import logging
from typing import Any, Dict, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmssl_ext.registry import HOOKS
from mmssl_ext.utils.rng_state import rng_state, set_rng_state

__all__ = ['RNGStateHook']

RNG_KEY = 'rng_state'


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Write the generators' state into every checkpoint; a resumed run continues them.

    MMEngine re-seeds every generator from the seed when it resumes, so a resumed run draws the random numbers
    of iteration 0 again (other crops, other MoCHi mixes, other dropout than the run it continues). This hook
    adds ``checkpoint['rng_state']`` (Python, NumPy, torch CPU and CUDA generators, see
    :func:`~mmssl_ext.utils.rng_state.rng_state`) when a checkpoint is saved, and on ``resume`` sets them back in
    ``before_train``, after MMEngine's re-seeding. Loading weights without resuming (``load_from``, a transfer)
    leaves the generators alone. A checkpoint without the key (older, or from MMEngine) resumes as MMEngine does,
    with a warning.

    The state is the one at the end of the saved iteration; the ``Resumable*TrainLoop`` loops replay the data
    already seen without consuming it, so the next batch is drawn as in the uninterrupted run. In the default
    runtime as ``default_hooks.rng_state``.
    """

    priority = 'VERY_LOW'  # after the other hooks of an iteration drew their numbers; same slot as CheckpointHook

    def __init__(self) -> None:
        self._pending: Optional[Dict[str, Any]] = None

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Add the generators' state to ``checkpoint``.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The checkpoint being written.
        """
        checkpoint[RNG_KEY] = rng_state()

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Keep the saved state for ``before_train`` when this load is a resume.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The loaded checkpoint.
        """
        if not getattr(runner, '_resume', False):
            return
        self._pending = checkpoint.get(RNG_KEY)
        if self._pending is None:
            print_log(
                'The resumed checkpoint has no rng_state (written without RNGStateHook): the random numbers after '
                'the resume differ from those of the interrupted run.',
                logger='current',
                level=logging.WARNING,
            )

    def before_train(self, runner: Runner) -> None:
        """Set the generators to the resumed checkpoint's state (MMEngine re-seeded them meanwhile)."""
        if self._pending is not None:
            set_rng_state(self._pending)
            self._pending = None
