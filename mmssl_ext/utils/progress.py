# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Where training is: the one place a model reads the runner's epoch and iteration.

Methods with a delayed start (MoCHi's mixing, batch curation's warm-up) need the training position inside
``loss()``. MMEngine's ``RuntimeInfoHook`` writes it to the current :class:`MessageHub` before every step
(``'epoch'``, 0-based, and ``'iter'``, 0-based, both loops); this module reads it there so no model does ad-hoc
message-hub reads. Schedules over the whole run (SCE's cosine target momentum) read the run's length with
:func:`total_iterations` (``'max_iters'``, written once before training). Epoch-based delays only fire in an
``EpochBasedTrainLoop`` (an ``IterBasedTrainLoop`` stays in epoch 0): iteration-based runs give the delay in
iterations (``start_iter``, ``warmup_iters``).
"""

from typing import NamedTuple, Optional

from mmengine.logging import MessageHub

__all__ = ['TrainingPosition', 'training_position', 'total_iterations']


class TrainingPosition(NamedTuple):
    """0-based epoch and iteration of the current step (``None`` outside a runner)."""

    epoch: Optional[int]
    iteration: Optional[int]


def training_position() -> TrainingPosition:
    """The runner's current epoch and iteration, ``None`` for each one no runner has recorded.

    Returns:
        TrainingPosition: ``(epoch, iteration)``.
    """
    hub = MessageHub.get_current_instance()
    epoch, iteration = hub.get_info('epoch'), hub.get_info('iter')
    return TrainingPosition(None if epoch is None else int(epoch), None if iteration is None else int(iteration))


def total_iterations() -> Optional[int]:
    """The run's number of optimiser steps (``runner.max_iters``), ``None`` outside a runner.

    Returns:
        int, optional: ``max_iters`` as MMEngine's ``RuntimeInfoHook`` recorded it before training.
    """
    total = MessageHub.get_current_instance().get_info('max_iters')
    return None if total is None else int(total)
