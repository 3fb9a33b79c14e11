# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Online kNN evaluation during self-supervised pre-training."""

from typing import Dict, Optional, Union

from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmssl_ext.evaluation import KNNAccuracy, build_eval_dataloader, dataset_has_labels, extract_backbone_features
from mmssl_ext.registry import HOOKS
from mmssl_ext.utils.rng_state import preserved_rng_state

__all__ = ['KNNEvalHook']


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """Evaluate the backbone with a weighted kNN classifier every ``interval`` epochs (or iterations).

    The bank is the pooled, L2-normalised backbone output on ``bank_dataloader`` (the labelled
    training split through a test pipeline), the queries come from ``query_dataloader`` (the test
    split). Each rank extracts its sampler's share; features are gathered, votes computed in chunks
    of ``chunk_size`` queries. Results go to the logger, the message hub and the visualizer as
    ``knn/top1`` and ``knn/top5`` (percent). Self-supervised models have no ``predict`` mode, so this
    hook is how a pre-training run gets a metric (mmselfsup#306). When the bank or the query set has no labels
    (pre-training on an unlabelled image folder, ``CustomDataset(with_label=False)``), the hook logs one line and
    stays off for the run instead of failing: point its loaders at a labelled set to monitor kNN.

    Args:
        bank_dataloader (dict): Dataloader config of the labelled bank split.
        query_dataloader (dict): Dataloader config of the query split.
        interval (int): Evaluate every ``interval`` epochs (``by_epoch``) or iterations.
            Defaults to 1.
        by_epoch (bool): Count ``interval`` in epochs; False counts iterations. Defaults to True.
        k (int): Neighbours. Defaults to 200.
        temperature (float): Vote temperature. Defaults to 0.1.
        chunk_size (int): Queries per similarity block. Defaults to 512.
        evaluate_before_train (bool): Also evaluate the initial weights before the first
            iteration, logged at iteration 0. Defaults to False.
        bank_size (int, optional): Use this many bank samples, spread evenly over the split (class
            balance kept for class-sorted folders). Defaults to None (the whole split).
        query_size (int, optional): Likewise for the queries. Defaults to None.
    """

    priority = 'LOW'

    def __init__(
        self,
        bank_dataloader: Union[dict, object],
        query_dataloader: Union[dict, object],
        interval: int = 1,
        by_epoch: bool = True,
        k: int = 200,
        temperature: float = 0.1,
        chunk_size: int = 512,
        evaluate_before_train: bool = False,
        bank_size: Optional[int] = None,
        query_size: Optional[int] = None,
    ) -> None:
        if interval < 1:
            raise ValueError(f'KNNEvalHook: interval must be >= 1, got {interval}')
        self.bank_dataloader_cfg = bank_dataloader
        self.query_dataloader_cfg = query_dataloader
        self.interval = interval
        self.by_epoch = by_epoch
        self.metric = KNNAccuracy(k=k, temperature=temperature, chunk_size=chunk_size)
        self.evaluate_before_train = evaluate_before_train
        self._loaders: Optional[tuple] = None
        self.last_metrics: Dict[str, float] = {}
        self._in_train = False
        self.bank_size = bank_size
        self.query_size = query_size
        self.enabled = True

    def _build_loaders(self, runner: Runner) -> tuple:
        if self._loaders is None:
            self._loaders = (
                build_eval_dataloader(self.bank_dataloader_cfg, self.bank_size, seed=runner.seed),
                build_eval_dataloader(self.query_dataloader_cfg, self.query_size, seed=runner.seed),
            )
        return self._loaders

    def evaluate(self, runner: Runner) -> Dict[str, float]:
        """Extract bank and query features, vote, and log ``knn/top*``.

        Args:
            runner (Runner): The runner whose model is evaluated.

        Returns:
            dict[str, float]: ``{'knn/top1': ..., 'knn/top5': ...}``.
        """
        if not self.enabled:
            return {}
        bank_loader, query_loader = self._build_loaders(runner)
        with preserved_rng_state():  # monitoring must not change the training trajectory
            bank_feats, bank_labels = extract_backbone_features(runner.model, bank_loader)
            query_feats, query_labels = extract_backbone_features(runner.model, query_loader)
        # Vote on the model's device (GPU when training on one): the bank is [N, D], queries chunked.
        device = next(runner.model.parameters()).device
        # Every rank already holds all features (gathered while extracting): vote locally.
        metrics = self.metric.score(bank_feats.to(device), bank_labels.to(device), query_feats, query_labels)
        # Called from after_train_epoch/iter, before the runner's counters advance: report 1-based
        # (completed) epochs/iterations, as the training log does; 0 means the initial weights.
        step = runner.epoch if self.by_epoch else runner.iter
        if self._in_train:
            step += 1
        for name, value in metrics.items():
            runner.message_hub.update_scalar(name, value)
        # After an epoch runner.iter already counts its iterations; inside after_train_iter it does not yet.
        vis_step = runner.iter + 1 if self._in_train and not self.by_epoch else runner.iter
        runner.visualizer.add_scalars(metrics, step=vis_step)
        runner.logger.info(
            f'kNN (k={self.metric.k}, T={self.metric.temperature}) at '
            f"{'epoch' if self.by_epoch else 'iter'} {step}: " + ', '.join(f'{n}: {v:.2f}' for n, v in metrics.items())
        )
        self.last_metrics = metrics
        return metrics

    def before_train(self, runner: Runner) -> None:
        """Turn off without labels, refuse a bank smaller than ``k``, evaluate the initial weights if asked."""
        bank_loader, query_loader = self._build_loaders(runner)
        loaders = (('bank', bank_loader), ('query', query_loader))
        unlabelled = [name for name, loader in loaders if not dataset_has_labels(loader.dataset)]
        if unlabelled:
            self.enabled = False
            runner.logger.warning(
                f'KNNEvalHook: kNN evaluation is off for this run: the {" and ".join(unlabelled)} dataset has no '
                'labels (e.g. CustomDataset(with_label=False)); give the hook labelled bank_dataloader / '
                'query_dataloader to monitor kNN.'
            )
        else:
            bank = len(bank_loader.dataset)
            if bank < self.metric.k:
                raise ValueError(
                    f'KNNEvalHook: the kNN bank has {bank} samples, fewer than k={self.metric.k} neighbours; lower '
                    "the hook's `k` or give a larger bank (`bank_size`, or the bank_dataloader's dataset)."
                )
            if self.evaluate_before_train:
                self.evaluate(runner)
        self._in_train = True

    def after_train_epoch(self, runner: Runner) -> None:
        """Evaluate every ``interval`` epochs and after the last one."""
        if self.by_epoch and (self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner)):
            self.evaluate(runner)

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Evaluate every ``interval`` iterations and after the last one (``by_epoch=False``)."""
        if not self.by_epoch and (
            self.every_n_train_iters(runner, self.interval) or runner.iter + 1 == runner.max_iters
        ):
            self.evaluate(runner)
