# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Backbone features of this process's share of a dataloader, kept on this process (no gathering)."""

from typing import Callable, Iterable, List, Optional, Tuple, cast

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper

from .features import embed_batch

__all__ = ['extract_local_features']


@torch.no_grad()
def extract_local_features(
    model: nn.Module,
    dataloader: Iterable,
    normalize: bool = True,
    on_batch: Optional[Callable[[int], None]] = None,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Pooled, labelled backbone features of the batches this process's dataloader yields.

    Unlike :func:`~mmssl_ext.evaluation.functional.extract_backbone_features`, nothing is gathered across
    ranks: under a launcher each rank returns only its sampler's share, so a sharded consumer (such as
    :func:`~mmssl_ext.evaluation.functional.sharded_knn_predict`) never needs the whole split on one rank. The
    model is put in eval mode and its mode restored afterwards.

    Args:
        model (nn.Module): The model (possibly DDP-wrapped), with ``data_preprocessor`` and ``backbone``.
        dataloader (Iterable): Yields batches of single-view samples with ``gt_label``.
        normalize (bool): L2-normalise the features. Defaults to True.
        on_batch (Callable[[int], None], optional): Called with the number of samples after each batch (a
            progress bar's ``update``). Defaults to None.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: CPU features ``[n, C]`` and labels ``[n]``, in the loader's order.
    """
    if is_model_wrapper(model):
        model = cast(nn.Module, model.module)
    was_training = model.training
    model.eval()
    feats: List[torch.Tensor] = []
    labels: List[torch.Tensor] = []
    try:
        for data in dataloader:
            batch_feats, samples = embed_batch(model, data, normalize)
            if any('gt_label' not in sample for sample in samples):
                raise KeyError(
                    'extract_local_features: a sample has no gt_label; kNN evaluation needs a labelled '
                    'dataset (with_label=True)'
                )
            feats.append(batch_feats.cpu())
            labels.extend(sample.gt_label.reshape(-1)[:1].cpu() for sample in samples)
            if on_batch is not None:
                on_batch(len(samples))
    finally:
        model.train(was_training)
    feats_t = torch.cat(feats) if feats else torch.zeros(0, 0)
    labels_t = torch.cat(labels).long() if labels else torch.zeros(0, dtype=torch.long)
    return feats_t, labels_t
