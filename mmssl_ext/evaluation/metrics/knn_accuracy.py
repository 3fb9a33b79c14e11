# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Weighted kNN top-k accuracy as an MMEngine metric (validation / test loops, hooks, offline tools)."""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.evaluator import BaseMetric

from mmssl_ext.registry import METRICS

from ..functional import weighted_knn_predict

__all__ = ['KNNAccuracy', 'KNNMetric']


@METRICS.register_module()
class KNNAccuracy(BaseMetric):
    """Top-k accuracy of a weighted kNN classifier over a labelled feature bank.

    Votes use cosine similarity and ``exp(s / temperature)`` weights (InstDisc protocol, arXiv:1805.01978).
    Two ways to give the bank:

    * **In a validation / test loop** (registered also as ``KNNMetric``): the loop's dataset is a
      :class:`~mmssl_ext.datasets.KNNEvalDataset` whose samples are tagged ``knn_role='bank'`` or ``'query'``;
      :meth:`process` keeps both, :class:`BaseMetric` gathers them across ranks and :meth:`compute_metrics`
      votes the queries against the bank. With :class:`~mmssl_ext.engine.runner.KNNValLoop` this gives
      ``knn/top1`` to ``save_best``, the log and ``tools/test.py``.
    * **Directly**: :meth:`set_bank` (or :meth:`score`, for callers that already hold every feature, such as
      :class:`~mmssl_ext.engine.hooks.KNNEvalHook` and ``tools/analysis_tools/linear_probe.py --knn``).
      ``tools/analysis_tools/knn_eval.py`` votes with :func:`~mmssl_ext.evaluation.sharded_knn_predict` instead,
      which keeps the bank sharded over the ranks and gives the same figures.

    Args:
        k (int): Number of neighbours. Defaults to 200.
        temperature (float): Vote temperature. Defaults to 0.1.
        topk (Sequence[int]): Accuracies to report. Defaults to (1, 5).
        chunk_size (int): Queries per similarity block (bounds memory). Defaults to 512.
        num_classes (int, optional): Classes; inferred from the bank labels when None.
            Defaults to None.
        collect_device (str): Device used to gather results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix, e.g. ``'cifar100_knn'`` for a second labelled set.
            Defaults to None (``'knn'``).
        dataset_name (str, optional): Only use samples whose ``knn_set`` (the ``name`` of their
            ``KNNEvalDataset``) is this; several metrics, one per set, can then share one loop over
            concatenated sets. Defaults to None (every sample).
    """

    default_prefix: Optional[str] = 'knn'

    def __init__(
        self,
        k: int = 200,
        temperature: float = 0.1,
        topk: Sequence[int] = (1, 5),
        chunk_size: int = 512,
        num_classes: Optional[int] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        dataset_name: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if k < 1:
            raise ValueError(f'KNNAccuracy: k must be >= 1, got {k}')
        if temperature <= 0:
            raise ValueError(f'KNNAccuracy: temperature must be > 0, got {temperature}')
        self.k = k
        self.temperature = temperature
        self.topk = tuple(topk)
        self.chunk_size = chunk_size
        self.num_classes = num_classes
        self.dataset_name = dataset_name
        self.bank: Optional[Tuple[torch.Tensor, torch.Tensor]] = None

    def set_bank(self, feats: torch.Tensor, labels: torch.Tensor) -> None:
        """Set the labelled feature bank the queries vote against.

        Args:
            feats (torch.Tensor): Bank features, shape ``[N, D]``.
            labels (torch.Tensor): Bank labels, shape ``[N]``.
        """
        if feats.size(0) != labels.numel() or feats.size(0) == 0:
            raise ValueError(
                f'KNNAccuracy.set_bank: need a non-empty bank with one label per feature, got '
                f'{feats.size(0)} features and {labels.numel()} labels'
            )
        self.bank = (feats, labels.reshape(-1).long())

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store features, labels and the bank/query role of each sample.

        Args:
            data_batch: Unused (kept for the MMEngine interface).
            data_samples (Sequence[dict]): Items with ``feat`` (``[D]`` tensor) and ``gt_label``; ``knn_role``
                (``'bank'`` or ``'query'``, set by ``KNNEvalDataset``) when the bank comes through the loop,
                else every sample is a query.
        """
        for sample in data_samples:
            if self.dataset_name is not None and sample.get('knn_set') != self.dataset_name:
                continue
            if 'feat' not in sample or 'gt_label' not in sample:
                raise KeyError(
                    f"KNNAccuracy.process: each sample needs 'feat' and 'gt_label', got keys {sorted(sample)}; "
                    'run it in a KNNValLoop / KNNTestLoop over a labelled KNNEvalDataset'
                )
            role = sample.get('knn_role', 'query')
            if role not in ('bank', 'query'):
                raise ValueError(f"KNNAccuracy.process: knn_role must be 'bank' or 'query', got {role!r}")
            label = int(torch.as_tensor(sample['gt_label']).reshape(-1)[0])
            self.results.append((sample['feat'].detach().float().cpu(), label, role == 'bank'))

    def score(
        self, bank_feats: torch.Tensor, bank_labels: torch.Tensor, query_feats: torch.Tensor, query_labels: torch.Tensor
    ) -> Dict[str, float]:
        """Set the bank and vote the given queries in one call (no cross-rank gathering).

        For callers that already hold every feature, such as :class:`KNNEvalHook` (which gathers
        while extracting) and ``tools/analysis_tools/linear_probe.py --knn``.

        Args:
            bank_feats (torch.Tensor): Bank features, ``[N, D]``.
            bank_labels (torch.Tensor): Bank labels, ``[N]``.
            query_feats (torch.Tensor): Query features, ``[Q, D]``.
            query_labels (torch.Tensor): Query labels, ``[Q]``.

        Returns:
            dict[str, float]: Prefixed accuracies in percent, e.g. ``{'knn/top1': ..., 'knn/top5': ...}``.
        """
        self.set_bank(bank_feats, bank_labels)
        accuracies = self._accuracies(query_feats, query_labels.reshape(-1).long().cpu())
        return {f'{self.prefix}/{name}' if self.prefix else name: value for name, value in accuracies.items()}

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Vote every query against the bank (the loop's bank samples, else :meth:`set_bank`'s); percent."""
        queries = [r for r in results if not r[2]]
        bank = [r for r in results if r[2]]
        if not queries:
            raise ValueError('KNNAccuracy: no query samples reached the metric (knn_role="query")')
        if bank:
            self.set_bank(torch.stack([r[0] for r in bank]), torch.tensor([r[1] for r in bank]))
        return self._accuracies(torch.stack([r[0] for r in queries]), torch.tensor([r[1] for r in queries]))

    def _accuracies(self, query: torch.Tensor, labels: torch.Tensor) -> Dict[str, float]:
        """Top-k accuracies of the weighted vote of ``query`` against the bank (labels on the CPU)."""
        if self.bank is None:
            raise RuntimeError('KNNAccuracy: call set_bank(features, labels) before evaluating')
        bank_feats, bank_labels = self.bank
        num_classes = self.num_classes or max(int(bank_labels.max()), int(labels.max())) + 1
        scores = weighted_knn_predict(
            query,
            bank_feats,
            bank_labels,
            num_classes,
            k=self.k,
            temperature=self.temperature,
            chunk_size=self.chunk_size,
        )
        ranked = scores.topk(min(max(self.topk), num_classes), dim=1).indices.cpu()
        hits = ranked == labels[:, None]
        return {f'top{t}': float(hits[:, :t].any(dim=1).float().mean() * 100) for t in self.topk}


# The name a validation / test evaluator uses, as mmpretrain names its metrics.
METRICS.register_module(name='KNNMetric', module=KNNAccuracy)
KNNMetric = KNNAccuracy
