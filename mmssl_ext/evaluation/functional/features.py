# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Backbone feature extraction for kNN and linear evaluation."""

from typing import Iterable, Tuple, cast

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import broadcast_object_list, collect_results, get_world_size
from mmengine.model import is_model_wrapper

from mmssl_ext.datasets.dataset_utils import dataset_has_labels

__all__ = ['pool_backbone_output', 'embed_batch', 'extract_backbone_features', 'dataset_has_labels']


def pool_backbone_output(outs) -> torch.Tensor:
    """Turn a backbone output into one vector per sample (global average pool of the last stage).

    Args:
        outs (torch.Tensor | tuple): Backbone output; a tuple/list uses its last element. A 4-D map
            ``[B, C, H, W]`` is averaged over space; ``[B, C]`` is returned as is.

    Returns:
        torch.Tensor: Features, shape ``[B, C]``.
    """
    if isinstance(outs, (tuple, list)):
        outs = outs[-1]
    if isinstance(outs, (tuple, list)):  # e.g. ViT (patch_token, cls_token)
        outs = outs[-1]
    if outs.dim() == 4:
        outs = F.adaptive_avg_pool2d(outs, 1).flatten(1)
    elif outs.dim() != 2:
        raise ValueError(f'pool_backbone_output: expected a [B, C, H, W] or [B, C] output, got {tuple(outs.shape)}')
    return outs


@torch.no_grad()
def embed_batch(model: nn.Module, data: dict, normalize: bool = True) -> Tuple[torch.Tensor, list]:
    """Pooled backbone features of one dataloader batch, with the batch's data samples.

    The batch goes through ``model.data_preprocessor`` (non-training mode) and ``model.backbone``; the output is
    pooled by :func:`pool_backbone_output`. The caller sets the model's mode (``eval()`` for evaluation).

    Args:
        model (nn.Module): The model (unwrapped or DDP-wrapped), with ``data_preprocessor`` and ``backbone``.
        data (dict): A collated batch (``inputs``, ``data_samples``).
        normalize (bool): L2-normalise the features. Defaults to True.

    Returns:
        tuple[torch.Tensor, list]: Features ``[B, C]`` (float32, on the model's device) and the data samples.
    """
    if is_model_wrapper(model):
        model = cast(nn.Module, model.module)
    data = cast(nn.Module, model.data_preprocessor)(data, False)
    inputs = data['inputs']
    if isinstance(inputs, (list, tuple)):
        inputs = inputs[0]
    feats = pool_backbone_output(cast(nn.Module, model.backbone)(inputs)).float()
    if normalize:
        feats = F.normalize(feats, dim=1)
    return feats, list(data.get('data_samples') or [])


@torch.no_grad()
def extract_backbone_features(
    model: nn.Module, dataloader: Iterable, normalize: bool = True, require_labels: bool = True
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Run ``model.backbone`` over a dataloader and return pooled features with their labels.

    Works for any model with a ``data_preprocessor`` and a ``backbone`` (self-supervisors and
    classifiers alike). Under distributed training each rank extracts its sampler's share and the
    results are gathered, so every rank returns the whole split. The model's train/eval mode is
    restored afterwards.

    Args:
        model (nn.Module): The model, possibly wrapped (DDP).
        dataloader (Iterable): Yields batches of single-view samples with ``gt_label``.
        normalize (bool): L2-normalise the features. Defaults to True.
        require_labels (bool): Refuse a sample without ``gt_label`` (kNN and linear evaluation need one); with
            False such a sample gets the label ``-1`` (feature export of unlabelled images). Defaults to True.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: CPU features ``[N, C]`` and labels ``[N]``.
    """
    if is_model_wrapper(model):
        model = cast(nn.Module, model.module)
    was_training = model.training
    model.eval()
    feats, labels = [], []
    try:
        for data in dataloader:
            f, samples = embed_batch(model, data, normalize)
            feats.append(f.cpu())
            for sample in samples:
                if 'gt_label' not in sample:
                    if not require_labels:
                        labels.append(torch.full((1,), -1, dtype=torch.long))
                        continue
                    raise KeyError(
                        'extract_backbone_features: a sample has no gt_label; kNN/linear evaluation '
                        'needs a labelled dataset (with_label=True)'
                    )
                labels.append(sample.gt_label.reshape(-1)[:1].cpu())
    finally:
        model.train(was_training)
    feats_t = torch.cat(feats) if feats else torch.zeros(0, 0)
    labels_t = torch.cat(labels).long() if labels else torch.zeros(0, dtype=torch.long)
    if get_world_size() > 1:
        size = len(dataloader.dataset)  # type: ignore[attr-defined]  # a DataLoader, typed as an Iterable
        rows = collect_results(list(zip(feats_t, labels_t)), size, device='cpu')
        rows = rows if rows is not None else []
        # collect_results returns the list on rank 0 only: broadcast so every rank agrees.
        box = [rows]
        broadcast_object_list(box, src=0)
        rows = box[0]
        feats_t = torch.stack([r[0] for r in rows])
        labels_t = torch.stack([r[1] for r in rows])
    return feats_t, labels_t
