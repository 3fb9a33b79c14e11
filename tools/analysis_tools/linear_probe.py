# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Fast linear probe of a checkpoint's frozen backbone on precomputed features.

``python tools/analysis_tools/linear_probe.py CONFIG CHECKPOINT [--epochs 100] [--lr 0.1]``

The backbone (in eval mode) encodes the config's ``knn_bank_dataloader`` split once and the
``knn_query_dataloader`` split once, through their test pipelines: no augmentation, features
globally average-pooled and *not* L2-normalised. One linear layer is trained on the standardised
bank features (SGD, momentum 0.9, cosine lr, see :func:`mmssl_ext.evaluation.linear_probe`) and
scored on the query features.

This is a fast proxy of the stage-2 linear-evaluation protocol (the ``configs/benchmarks`` probes,
which train for 100 epochs on augmented images through the frozen backbone), meant for CPU budgets
where that is too slow, e.g. to rank checkpoints. It is not the protocol itself: its numbers are
not comparable with published linear-evaluation accuracies and should not be reported as such.

``CHECKPOINT`` may be a full mmssl_ext checkpoint or an extracted backbone file; ``random``
evaluates the randomly initialised backbone.
"""

import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional

import torch.nn.functional as F
from mmengine.config import DictAction
from mmengine.runner import set_random_seed

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.evaluation import KNNAccuracy, linear_probe  # noqa: E402
from tools.analysis_tools.knn_eval import split_features  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Fast linear probe on frozen backbone features')
    parser.add_argument('config', help='pre-training config (defines knn_bank_dataloader / knn_query_dataloader)')
    parser.add_argument('checkpoint', help="checkpoint (full or backbone-only), or 'random'")
    parser.add_argument('--bank-size', type=int, help='train on N bank images spread evenly over the split')
    parser.add_argument('--query-size', type=int, help='test on N query images spread evenly over the split')
    parser.add_argument('--batch-size', type=int, help="override the feature-extraction dataloaders' batch size")
    parser.add_argument('--epochs', type=int, default=100, help='probe training epochs (default 100)')
    parser.add_argument('--lr', type=float, default=0.1, help='probe peak learning rate (default 0.1)')
    parser.add_argument('--weight-decay', type=float, default=0.0, help='probe weight decay (default 0)')
    parser.add_argument(
        '--knn', action='store_true', help='also report the weighted kNN (k=200, T=0.1) of the same features'
    )
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--seed', type=int, default=0, help="random seed, which fixes the 'random' initialisation (default 0)"
    )
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def linear_probe_eval(
    config: str,
    checkpoint: str,
    bank_size: Optional[int] = None,
    query_size: Optional[int] = None,
    epochs: int = 100,
    lr: float = 0.1,
    weight_decay: float = 0.0,
    batch_size: Optional[int] = None,
    cfg_options: Optional[dict] = None,
    with_knn: bool = False,
) -> Dict[str, float]:
    """Build the config's model, load ``checkpoint`` and return ``{'linear/top1': .., 'linear/top5': ..}``.

    Args:
        config (str): Config file defining ``model``, ``knn_bank_dataloader`` and
            ``knn_query_dataloader``.
        checkpoint (str): Full or backbone-only checkpoint, or ``'random'``.
        bank_size (int, optional): Train the probe on this many bank images. Defaults to None (all).
        query_size (int, optional): Test on this many query images. Defaults to None (all).
        epochs (int): Probe training epochs. Defaults to 100.
        lr (float): Probe peak learning rate. Defaults to 0.1.
        weight_decay (float): Probe weight decay. Defaults to 0.0.
        batch_size (int, optional): Batch size of the feature-extraction dataloaders (the probe
            itself uses mini-batches of 256). Defaults to None (the config's).
        cfg_options (dict, optional): Config overrides. Defaults to None.
        with_knn (bool): Also score the weighted kNN (k=200, T=0.1, ``knn/top1``, ``knn/top5``) on the
            L2-normalised features, from the same single extraction. Defaults to False.

    Returns:
        dict[str, float]: Accuracies in percent (``linear/top5`` only with at least 5 classes).
    """
    # eval-mode backbone, raw pooled features (no L2 norm)
    bank_feats, bank_labels, query_feats, query_labels, num_classes = split_features(
        config, checkpoint, bank_size, query_size, batch_size, cfg_options, normalize=False
    )
    metrics = {}
    if with_knn:
        metrics.update(
            KNNAccuracy(k=200, temperature=0.1).score(
                F.normalize(bank_feats, dim=1), bank_labels, F.normalize(query_feats, dim=1), query_labels
            )
        )
    metrics.update(
        linear_probe(
            bank_feats,
            bank_labels,
            query_feats,
            query_labels,
            num_classes=num_classes,
            epochs=epochs,
            lr=lr,
            weight_decay=weight_decay,
        )
    )
    return metrics


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    """Entry point; returns the metrics."""
    args = parse_args(argv)
    set_random_seed(args.seed)
    metrics = linear_probe_eval(
        args.config,
        args.checkpoint,
        bank_size=args.bank_size,
        query_size=args.query_size,
        epochs=args.epochs,
        lr=args.lr,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        cfg_options=args.cfg_options,
        with_knn=args.knn,
    )
    print(json.dumps({'checkpoint': args.checkpoint, 'epochs': args.epochs, 'lr': args.lr, **metrics}))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(metrics, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
