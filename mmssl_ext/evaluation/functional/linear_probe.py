# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Fast linear probe: one linear layer trained with SGD on precomputed (frozen) features."""

import math
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['linear_probe']


def _check_pair(feats: torch.Tensor, labels: torch.Tensor, feats_name: str, labels_name: str) -> None:
    """Raise ``ValueError`` unless ``feats`` is a non-empty ``[N, D]`` tensor with ``N`` integer labels."""
    if not isinstance(feats, torch.Tensor) or feats.dim() != 2:
        shape = tuple(feats.shape) if isinstance(feats, torch.Tensor) else type(feats).__name__
        raise ValueError(f'linear_probe: {feats_name} must be a [N, D] tensor, got {shape}')
    if feats.size(0) == 0 or feats.size(1) == 0:
        raise ValueError(f'linear_probe: {feats_name} is empty, shape {tuple(feats.shape)}')
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1:
        shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f'linear_probe: {labels_name} must be a [N] tensor, got {shape}')
    if labels.size(0) != feats.size(0):
        raise ValueError(
            f'linear_probe: {labels.size(0)} {labels_name} for {feats.size(0)} rows of {feats_name} '
            f'(shape {tuple(feats.shape)})'
        )
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f'linear_probe: {labels_name} must hold integer class indices, got dtype {labels.dtype}')
    if not torch.isfinite(feats).all():
        raise ValueError(f'linear_probe: {feats_name} contains NaN or infinite values')


def linear_probe(
    train_feats: torch.Tensor,
    train_labels: torch.Tensor,
    test_feats: torch.Tensor,
    test_labels: torch.Tensor,
    num_classes: Optional[int] = None,
    epochs: int = 100,
    lr: float = 0.1,
    weight_decay: float = 0.0,
    batch_size: int = 256,
    standardize: bool = True,
    seed: int = 0,
) -> Dict[str, float]:
    """Train a linear classifier on frozen training features and return its test accuracy.

    A single ``nn.Linear`` (zero-initialised) is trained with cross-entropy, SGD (momentum 0.9) and
    a cosine learning rate decayed per step from ``lr`` to 0 over all ``epochs``, on mini-batches
    shuffled by a ``torch.Generator`` seeded with ``seed``: the same inputs and seed give the same
    result, and the global random state is left untouched. With ``standardize`` both splits are
    shifted and scaled by the mean and standard deviation of the *training* features (per
    dimension), which makes the result independent of the feature scale. Computation is float32 on
    the device of ``train_feats``; the returned numbers are plain floats (no autograd graph).

    This is a proxy of the linear-evaluation protocol (no augmentation, features computed once),
    suited to CPU budgets; it is not the protocol itself.

    Args:
        train_feats (torch.Tensor): Training features, shape ``[N, D]``.
        train_labels (torch.Tensor): Integer training labels, shape ``[N]``.
        test_feats (torch.Tensor): Test features, shape ``[M, D]``.
        test_labels (torch.Tensor): Integer test labels, shape ``[M]``.
        num_classes (int, optional): Number of classes; inferred as ``1 + max label`` over both
            splits when None. Defaults to None.
        epochs (int): Passes over the training features. Defaults to 100.
        lr (float): Peak (initial) learning rate. Defaults to 0.1.
        weight_decay (float): SGD weight decay (L2), on weight and bias. Defaults to 0.0.
        batch_size (int): Training mini-batch size (the last batch of an epoch may be smaller).
            Defaults to 256.
        standardize (bool): Standardise features with the training mean/std. Defaults to True.
        seed (int): Seed of the mini-batch shuffling. Defaults to 0.

    Returns:
        dict[str, float]: ``{'linear/top1': ..., 'linear/top5': ...}`` in percent; ``linear/top5``
        only when ``num_classes >= 5``.

    Raises:
        ValueError: On malformed inputs (shapes, dtypes, empty or non-finite features, labels out of
            ``[0, num_classes)``, non-positive hyper-parameters); the message names the argument.
    """
    _check_pair(train_feats, train_labels, 'train_feats', 'train_labels')
    _check_pair(test_feats, test_labels, 'test_feats', 'test_labels')
    if test_feats.size(1) != train_feats.size(1):
        raise ValueError(
            f'linear_probe: test_feats has dimension {test_feats.size(1)} but train_feats has {train_feats.size(1)}'
        )
    for name, value in (('epochs', epochs), ('batch_size', batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'linear_probe: {name} must be an integer >= 1, got {value!r}')
    if not lr > 0:
        raise ValueError(f'linear_probe: lr must be > 0, got {lr!r}')
    if not weight_decay >= 0:
        raise ValueError(f'linear_probe: weight_decay must be >= 0, got {weight_decay!r}')
    device = train_feats.device
    y_train = train_labels.detach().to(device=device, dtype=torch.long)
    y_test = test_labels.detach().to(device=device, dtype=torch.long)
    if num_classes is None:
        num_classes = max(int(y_train.max()), int(y_test.max())) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f'linear_probe: num_classes must be an integer >= 1, got {num_classes!r}')
    for name, labels in (('train_labels', y_train), ('test_labels', y_test)):
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= num_classes:
            raise ValueError(f'linear_probe: {name} out of range [0, num_classes={num_classes}): min {low}, max {high}')

    x_train = train_feats.detach().to(device=device, dtype=torch.float32)
    x_test = test_feats.detach().to(device=device, dtype=torch.float32)
    if standardize:
        # statistics in float64 for accuracy; a (near-)constant dimension is only centred
        stats = train_feats.detach().to(device=device, dtype=torch.float64)
        mean = stats.mean(0)
        std = stats.std(0, unbiased=False)
        std = torch.where(std > 1e-6 * stats.abs().amax(0), std, torch.ones_like(std))
        mean, std = mean.float(), std.float()
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std

    num_train = x_train.size(0)
    steps_per_epoch = math.ceil(num_train / batch_size)
    total_steps = epochs * steps_per_epoch
    # skip_init: no draw from the global RNG; zero init is fine for this convex problem
    classifier = nn.utils.skip_init(nn.Linear, x_train.size(1), num_classes, device=device, dtype=torch.float32)
    with torch.no_grad():
        classifier.weight.zero_()
        classifier.bias.zero_()
    optimizer = torch.optim.SGD(classifier.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    generator = torch.Generator(device='cpu').manual_seed(seed)
    step = 0
    with torch.enable_grad():
        for _ in range(epochs):
            order = torch.randperm(num_train, generator=generator).to(device)
            for start in range(0, num_train, batch_size):
                idx = order[start : start + batch_size]
                for group in optimizer.param_groups:
                    group['lr'] = 0.5 * lr * (1.0 + math.cos(math.pi * step / total_steps))
                loss = F.cross_entropy(classifier(x_train[idx]), y_train[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1

    with torch.no_grad():
        logits = classifier(x_test)
        topk = min(5, num_classes)
        hits = logits.topk(topk, dim=1).indices == y_test[:, None]
        metrics = {'linear/top1': 100.0 * int(hits[:, 0].sum()) / len(y_test)}
        if num_classes >= 5:
            metrics['linear/top5'] = 100.0 * int(hits.any(dim=1).sum()) / len(y_test)
    return metrics
