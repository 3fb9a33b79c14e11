# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Validation and test loops that give any backbone a kNN metric (``knn/top1``) the MMEngine way.

Self-supervised models have no ``predict`` mode, so MMEngine's ``ValLoop`` (which calls ``model.val_step``) has
nothing to hand a metric. These loops are ``ValLoop`` / ``TestLoop`` with one step changed: each batch goes
through the model's data preprocessor and backbone (:func:`~mmssl_ext.evaluation.embed_batch`, pooled and
L2-normalised), and the data samples reach the evaluator with their ``feat``. Everything else is MMEngine's:
``val_interval``, ``val_begin``, ``default_hooks.checkpoint.save_best='knn/top1'``, the log,
``tools/test.py CONFIG CHECKPOINT``, the gathering of every rank's results and the hooks' ``*_val_*`` events.
With :class:`~mmssl_ext.datasets.KNNEvalDataset` as the dataset and ``KNNMetric`` as the evaluator::

    val_dataloader = dict(batch_size=512, sampler=dict(type='DefaultSampler', shuffle=False),
                          dataset=dict(type='KNNEvalDataset', bank=train_split, query=test_split))
    val_evaluator = dict(type='KNNMetric', k=200, temperature=0.1)
    val_cfg = dict(type='KNNValLoop')
    train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
    default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, save_best='knn/top1'))

When the dataset has no labels (an unlabelled image folder), the loop logs one line and reports nothing. As
:class:`~mmssl_ext.engine.hooks.KNNEvalHook` does, the loops refuse a bank smaller than a metric's ``k`` when they
are built (before the first training step, not at the first validation) and leave the random generators as they
were (a run with validation draws the training numbers of one without: the dataloader iterator draws a seed).
"""

import logging
from typing import Any, Dict, List, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.runner import Runner, TestLoop, ValLoop
from mmengine.runner.amp import autocast
from torch.utils.data import DataLoader

from mmssl_ext.evaluation.functional.features import dataset_has_labels, embed_batch
from mmssl_ext.registry import LOOPS
from mmssl_ext.utils.rng_state import preserved_rng_state

__all__ = ['KNNValLoop', 'KNNTestLoop']


def _labelled(dataset: object) -> bool:
    """Whether the loop's dataset has labels (both splits of a ``KNNEvalDataset``)."""
    has_labels = getattr(dataset, 'has_labels', None)
    return bool(has_labels) if has_labels is not None else dataset_has_labels(dataset)


class _KNNLoopMixin:
    """The feature step and the guards shared by the two loops."""

    runner: Any
    dataloader: Any
    evaluator: Any
    fp16: bool
    _warned_unlabelled = False

    def _check_bank_size(self) -> None:
        """Refuse a ``KNNEvalDataset`` bank smaller than a kNN metric's ``k`` (when the loop is built)."""
        bank = getattr(getattr(self.dataloader, 'dataset', None), 'bank_len', None)
        for metric in getattr(self.evaluator, 'metrics', []):
            k = getattr(metric, 'k', None)
            if bank is not None and k is not None and bank < k:
                raise ValueError(
                    f'{type(self).__name__}: the kNN bank has {bank} samples, fewer than k={k} neighbours; lower '
                    f'{type(metric).__name__}.k or give KNNEvalDataset a larger bank (bank_size=None: the whole split)'
                )

    def _skip_unlabelled(self, kind: str) -> bool:
        dataset = getattr(self.dataloader, 'dataset', None)
        if _labelled(dataset):
            return False
        if not self._warned_unlabelled:
            print_log(
                f'{type(self).__name__}: kNN {kind} is off for this run: its dataset has no labels '
                '(e.g. CustomDataset(with_label=False)); give it a labelled KNNEvalDataset to monitor kNN.',
                logger='current',
                level=logging.WARNING,
            )
            self._warned_unlabelled = True
        return True

    @torch.no_grad()
    def _embed(self, data_batch: dict) -> list:
        with autocast(enabled=self.fp16):
            feats, samples = embed_batch(self.runner.model, data_batch)
        for sample, feat in zip(samples, feats.float()):
            sample.set_field(feat, 'feat')
        return samples


@LOOPS.register_module()
class KNNValLoop(_KNNLoopMixin, ValLoop):
    """MMEngine's ``ValLoop`` over backbone features (for ``KNNMetric``); see the module docstring.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The validation dataloader (a ``KNNEvalDataset``).
        evaluator (Evaluator | dict | list): The evaluator (``KNNMetric``).
        fp16 (bool): Extract under automatic mixed precision. Defaults to False.
    """

    def __init__(
        self,
        runner: Runner,
        dataloader: Union[DataLoader, Dict],
        evaluator: Union[Evaluator, Dict, List],
        fp16: bool = False,
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        self._check_bank_size()

    def run(self) -> Dict[str, float]:
        """Extract, gather and score; empty (one log line) when the dataset has no labels."""
        with preserved_rng_state():  # validation must not change the training trajectory
            return self._run()

    def _run(self) -> Dict[str, float]:
        if self._skip_unlabelled('validation'):
            self.runner.call_hook('before_val')
            self.runner.call_hook('after_val_epoch', metrics={})
            self.runner.call_hook('after_val')
            return {}
        return super().run()

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """Embed one batch and hand its data samples (with ``feat``) to the evaluator.

        Args:
            idx (int): Batch index.
            data_batch (Sequence[dict]): The collated batch.
        """
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self._embed(data_batch)  # type: ignore[arg-type]
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class KNNTestLoop(_KNNLoopMixin, TestLoop):
    """MMEngine's ``TestLoop`` over backbone features (``tools/test.py CONFIG CKPT`` for a pre-training config).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The test dataloader (a ``KNNEvalDataset``).
        evaluator (Evaluator | dict | list): The evaluator (``KNNMetric``).
        fp16 (bool): Extract under automatic mixed precision. Defaults to False.
    """

    def __init__(
        self,
        runner: Runner,
        dataloader: Union[DataLoader, Dict],
        evaluator: Union[Evaluator, Dict, List],
        fp16: bool = False,
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        self._check_bank_size()

    def run(self) -> Dict[str, float]:
        """Extract, gather and score; empty (one log line) when the dataset has no labels."""
        with preserved_rng_state():  # validation must not change the training trajectory
            return self._run()

    def _run(self) -> Dict[str, float]:
        if self._skip_unlabelled('test'):
            self.runner.call_hook('before_test')
            self.runner.call_hook('after_test_epoch', metrics={})
            self.runner.call_hook('after_test')
            return {}
        return super().run()

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """Embed one batch and hand its data samples (with ``feat``) to the evaluator.

        Args:
            idx (int): Batch index.
            data_batch (Sequence[dict]): The collated batch.
        """
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self._embed(data_batch)  # type: ignore[arg-type]
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
