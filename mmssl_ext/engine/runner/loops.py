# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Training loops whose resumed run is the uninterrupted run (same data order, same random numbers).

What MMEngine's loops guarantee on resume, and what these add:

* ``EpochBasedTrainLoop`` resumes at the start of the saved epoch: a checkpoint written mid-epoch
  (``CheckpointHook(by_epoch=False)``) trains that epoch's first batches a second time.
  :class:`ResumableEpochBasedTrainLoop` replays them (through the pipeline, so the workers' generators advance
  as they did, without consuming the main process's) and trains from the next one.
* ``IterBasedTrainLoop`` replays the trained batches, but with the main process's generators (which draw the
  augmentations when ``num_workers=0``), so the next batch differs. :class:`ResumableIterBasedTrainLoop` replays
  them without a trace.
* Both: MMEngine builds the sampler and the workers' seeds from the new run's seed before it reads the
  checkpoint's (with ``randomness.seed=None``, the default, a fresh one per launch): the resumed run would
  visit the data in another order. These loops give the sampler and the workers the resumed seed.
* Both: the validation loop runs without touching the generators, so evaluating (or not) never changes the
  training trajectory.

With :class:`~mmssl_ext.engine.hooks.RNGStateHook` (checkpointed generators), a run killed and resumed on the
CPU with deterministic kernels ends with the weights, optimizer state, queues and logged losses of the
uninterrupted run (``tests/tools/test_train_resume_equality.py``). Not covered: ``persistent_workers=True`` with
``num_workers > 0`` resumed in a later epoch than the first (the workers' generators live in the worker
processes and cannot be checkpointed; MMEngine seeds them once per iterator).
"""

import logging
from functools import partial
from typing import Any, Iterator, Sequence, cast

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmengine.runner.base_loop import BaseLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import DataLoader

from mmssl_ext.registry import LOOPS
from mmssl_ext.utils.rng_state import preserved_rng_state

__all__ = ['ResumableEpochBasedTrainLoop', 'ResumableIterBasedTrainLoop', 'follow_runner_seed']


def follow_runner_seed(loader: DataLoader, seed: int) -> bool:
    """Give ``loader``'s sampler and worker seeding the runner's (resumed) ``seed``.

    Args:
        loader (DataLoader): The training dataloader.
        seed (int): ``runner.seed``.

    Returns:
        bool: Whether anything changed (an iterator made before must then be made again).
    """
    sampler = getattr(loader, 'sampler', None)
    if getattr(loader, 'batch_sampler', None) is not None and hasattr(loader.batch_sampler, 'sampler'):
        sampler = cast(Any, loader.batch_sampler).sampler
    changed = False
    if sampler is not None and getattr(sampler, 'seed', seed) != seed:
        sampler.seed = seed
        if hasattr(sampler, '_indices_of_rank'):  # InfiniteSampler draws its order once, when built
            sampler.indices = sampler._indices_of_rank()
        changed = True
    init = loader.worker_init_fn
    if isinstance(init, partial) and init.keywords.get('seed', seed) != seed:
        loader.worker_init_fn = partial(init.func, *init.args, **{**init.keywords, 'seed': seed})
        changed = True
    if changed:
        workers = getattr(loader, '_iterator', None)  # torch keeps persistent workers on the loader
        if workers is not None:
            workers._shutdown_workers()
            loader._iterator = None
        print_log(
            f'Resumed seed {seed}: the training sampler and workers follow it (MMEngine built them from the new '
            "launch's seed).",
            logger='current',
            level=logging.INFO,
        )
    return changed


def _replayed(loader: DataLoader, done: int) -> Iterator:
    """An iterator over ``loader`` past its first ``done`` batches, the generators as they were before."""
    with preserved_rng_state():
        batches = iter(loader)
        for _ in range(done):
            next(batches)
    return batches


def _validate_if_due(loop: BaseLoop, step: int, last: int) -> None:
    """Run the runner's validation loop when ``step`` (epoch or iteration) is due, without a trace on the generators.

    Args:
        loop (BaseLoop): The training loop (its ``val_begin`` and ``val_interval``).
        step (int): Epochs or iterations done.
        last (int): ``max_epochs`` or ``max_iters``.
    """
    due = step >= loop.val_begin and (step % loop.val_interval == 0 or step == last)
    if loop.runner.val_loop is not None and due:
        with preserved_rng_state():
            loop.runner.val_loop.run()


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """MMEngine's ``EpochBasedTrainLoop`` that resumes mid-epoch where the checkpoint was written.

    Arguments as ``EpochBasedTrainLoop`` (``max_epochs``, ``val_begin``, ``val_interval``,
    ``dynamic_intervals``). See the module notes for what it adds.
    """

    def run(self) -> nn.Module:
        """Launch training (as MMEngine, with the resumed seed and a validation that leaves the generators)."""
        follow_runner_seed(self.dataloader, self.runner.seed)
        self.runner.call_hook('before_train')
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._decide_current_val_interval()
            _validate_if_due(self, self._epoch, self._max_epochs)
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_epoch(self) -> None:
        """Iterate one epoch, past the batches a resumed checkpoint already trained."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        length = len(self.dataloader)
        done = self._iter - self._epoch * length
        if not 0 <= done <= length:
            print_log(
                f'Resumed at iteration {self._iter}, epoch {self._epoch}, which is not within an epoch of {length} '
                'batches (the batch size or dataset changed?): the epoch starts from its first batch.',
                logger='current',
                level=logging.WARNING,
            )
            done = 0
        if done:
            print_log(f'Replaying the {done} batches of epoch {self._epoch + 1} trained before the resume', 'current')
        batches = _replayed(self.dataloader, done) if done else iter(self.dataloader)
        for idx, data_batch in enumerate(batches, start=done):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """MMEngine's ``IterBasedTrainLoop`` whose replay of the trained batches leaves the generators as saved.

    Arguments as ``IterBasedTrainLoop`` (``max_iters``, ``val_begin``, ``val_interval``, ``dynamic_intervals``).
    See the module notes for what it adds.
    """

    def run(self) -> nn.Module:
        """Launch training (as MMEngine, with the resumed seed, a traceless replay and validation)."""
        if follow_runner_seed(self.dataloader, self.runner.seed):
            self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(f'Replaying the {self._iter} batches trained before the resume', logger='current')
            with preserved_rng_state():
                for _ in range(self._iter):
                    next(self.dataloader_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch: Sequence[dict] = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            _validate_if_due(self, self._iter, self._max_iters)
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
