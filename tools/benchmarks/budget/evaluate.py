# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The budget benchmark's evaluation, identical for every method: weighted kNN and a linear probe."""

import json
import os.path as osp
import sys
from typing import Dict, List

from mmengine.runner import set_random_seed

_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
from mmssl_ext.evaluation import KNNAccuracy, linear_probe  # noqa: E402
from tools.analysis_tools.knn_eval import split_features  # noqa: E402

__all__ = ['evaluate_backbone', 'read_curve']


def evaluate_backbone(
    config: str, checkpoint: str, bank_size: int, query_size: int, probe_epochs: int, seed: int = 0
) -> Dict[str, float]:
    """Weighted-kNN (k=200, T=0.1) and linear-probe accuracy of a backbone on the config's kNN splits.

    The bank (and linear-probe training set) is ``bank_size`` images spread evenly over the train split, which
    is class-balanced on the class-sorted CIFAR folders; the queries are ``query_size`` test images. The kNN
    votes on L2-normalised pooled features, the linear probe trains on the raw pooled features (standardised).

    Args:
        config (str): The (budget) config file the run trained with.
        checkpoint (str): Checkpoint path, or ``'random'`` for the initialisation of ``seed``.
        bank_size (int): Train images in the bank.
        query_size (int): Test images.
        probe_epochs (int): Linear-probe epochs.
        seed (int): Seed of the random initialisation and of the probe's shuffling. Defaults to 0.

    Returns:
        dict[str, float]: ``knn/top1``, ``knn/top5``, ``linear/top1``, ``linear/top5`` in percent.
    """
    set_random_seed(seed)
    bank, bank_labels, query, query_labels, classes = split_features(
        config, checkpoint, bank_size, query_size, normalize=False
    )
    # the vote L2-normalises both sets itself (weighted_knn_predict); the probe standardises the raw features
    metrics = KNNAccuracy(k=200, temperature=0.1).score(bank, bank_labels, query, query_labels)
    metrics.update(
        linear_probe(bank, bank_labels, query, query_labels, num_classes=classes, epochs=probe_epochs, seed=seed)
    )
    return metrics


def read_curve(scalars_file: str) -> Dict[str, List[list]]:
    """The kNN curve and the loss of a run from MMEngine's ``vis_data/scalars.json``.

    Args:
        scalars_file (str): Path of the run's ``scalars.json``.

    Returns:
        dict: ``knn`` as ``[[iteration, top1], ...]``, ``loss`` as ``[[iteration, loss], ...]`` and ``time``
        as the logged seconds per iteration.
    """
    curve: Dict[str, List[list]] = {'knn': [], 'loss': [], 'time': []}
    if not osp.exists(scalars_file):
        return curve
    with open(scalars_file) as f:
        for line in f:
            entry = json.loads(line)
            step = entry.get('step', entry.get('iter'))
            if 'knn/top1' in entry:
                curve['knn'].append([step, entry['knn/top1']])
            if 'loss' in entry:
                curve['loss'].append([step, entry['loss']])
            if 'time' in entry:
                curve['time'].append(entry['time'])
    return curve
