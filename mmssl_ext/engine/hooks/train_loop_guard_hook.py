# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Refuse, before the first step, a training loop that cannot train (no data, no iterations)."""

from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, Runner

from mmssl_ext.registry import HOOKS

__all__ = ['TrainLoopGuardHook']


@HOOKS.register_module()
class TrainLoopGuardHook(Hook):
    """Raise a ``ValueError`` in ``before_train`` when the run would save a checkpoint without training.

    Refused, each with the numbers and the setting to change:

    * an empty training dataset;
    * ``max_epochs`` or ``max_iters`` below 1;
    * an epoch-based loop with no batch per epoch (``batch_size`` x world size larger than the dataset
      with ``drop_last=True``): MMEngine would run the epochs empty and save an untrained checkpoint;
    * a global batch the model cannot take, for models that define ``check_global_batch(global_batch)``
      (a MoCo queue shorter than the keys of one step).

    It is in every config through ``configs/_base_/default_runtime.py`` (``default_hooks.train_loop_guard``).
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner: Runner) -> None:
        """Check the dataset, the loop length and the batches per epoch."""
        loop = runner.train_loop
        loader = loop.dataloader
        dataset = loader.dataset
        size = len(dataset)
        if size == 0:
            raise ValueError(
                f'The training dataset is empty ({type(dataset).__name__}); check train_dataloader.dataset '
                '(data_root, data_prefix, ann_file).'
            )
        if isinstance(loop, EpochBasedTrainLoop) and len(loader) == 0:
            world = get_world_size()
            raise ValueError(
                f'No training batch per epoch: {size} samples, train_dataloader.batch_size={loader.batch_size} '
                f'x {world} process(es) with drop_last={getattr(loader, "drop_last", None)}. Lower '
                'train_dataloader.batch_size or set train_dataloader.drop_last=False.'
            )
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if hasattr(model, 'check_global_batch') and loader.batch_size:
            model.check_global_batch(loader.batch_size * get_world_size())
        by_epoch = isinstance(loop, EpochBasedTrainLoop)
        if (by_epoch and loop.max_epochs < 1) or (not by_epoch and loop.max_iters < 1):
            raise ValueError(
                f'The training loop has no iterations (max_epochs={getattr(loop, "max_epochs", None)}, '
                f'max_iters={loop.max_iters}); set train_cfg.max_epochs or train_cfg.max_iters >= 1.'
            )
