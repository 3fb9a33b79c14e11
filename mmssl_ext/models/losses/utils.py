# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Shared helpers of the contrastive losses: input checks, view-major flattening, masks, logsumexp.

Conventions used by every loss in this package:

* features are ``[B, V, D]`` (batch, views, dim) and L2-normalised by the model;
* the stacked anchor / contrast matrix is **view-major**: row ``v * B + b`` is view ``v`` of sample
  ``b`` (the SupContrast / SimCLR layout);
* similarities are computed in at least float32 (float64 inputs stay float64);
* masked log-sum-exp fills excluded entries with ``-inf`` instead of ``log(sum(exp(x) * mask))``,
  which underflows at small temperatures.
"""

import numbers
from typing import Dict, Optional, Tuple, cast, overload

import torch

from ..utils import all_gather_no_grad, all_gather_with_grad, rank_offset

__all__ = [
    'NORM_ATOL',
    'check_features',
    'check_unit_norm',
    'check_labels',
    'check_temperature',
    'flatten_views',
    'compute_dtype',
    'masked_logsumexp',
    'gather_batch',
    'gather_labels',
    'local_view_rows',
]


NORM_ATOL = 1e-3
"""Tolerance of the unit-norm check: features that pass it have norms of at most ``1 + NORM_ATOL``."""


def check_features(
    features: torch.Tensor,
    name: str = 'features',
    ndim: int = 3,
    normalized: bool = True,
    atol: float = NORM_ATOL,
    min_views: int = 1,
) -> None:
    """Validate a feature tensor and raise a ``ValueError`` naming the field otherwise.

    Args:
        features (torch.Tensor): The tensor to check.
        name (str): Field name used in the error message. Defaults to 'features'.
        ndim (int): Expected number of dimensions (3 for ``[B, V, D]``). Defaults to 3.
        normalized (bool): Require unit L2 norm along the last dim. Defaults to True.
        atol (float): Tolerance on the norm. Defaults to 1e-3.
        min_views (int): Minimum size of dim 1 when ``ndim == 3``. Defaults to 1.
    """
    if not isinstance(features, torch.Tensor):
        raise ValueError(f'`{name}` must be a torch.Tensor, got {type(features).__name__}.')
    shape_hint = '[B, V, D]' if ndim == 3 else '[N, D]'
    if features.dim() != ndim:
        raise ValueError(f'`{name}` must be shaped {shape_hint}, got shape {tuple(features.shape)}.')
    if not features.is_floating_point():
        raise ValueError(f'`{name}` must be a floating tensor, got {features.dtype}.')
    if ndim == 3 and features.shape[1] < min_views:
        raise ValueError(f'`{name}` needs at least {min_views} views (dim 1), got shape {tuple(features.shape)}.')
    if normalized:
        check_unit_norm({name: features}, atol)


def check_unit_norm(fields: Dict[str, Optional[torch.Tensor]], atol: float = NORM_ATOL) -> None:
    """Raise a ``ValueError`` naming the first field whose rows are not L2-normalised.

    The largest deviations of all fields are read back to the host together: one device sync per call,
    whatever the number of fields.

    Args:
        fields (Dict[str, torch.Tensor]): Field name -> tensor (None and empty tensors are skipped).
        atol (float): Tolerance on ``|norm - 1|``. Defaults to NORM_ATOL.
    """
    names = [n for n, t in fields.items() if t is not None and t.numel() > 0]
    if not names:
        return
    # every field of names is a tensor
    worst = torch.stack([(cast(torch.Tensor, fields[n]).detach().float().norm(dim=-1) - 1).abs().max() for n in names])
    if worst.max().item() <= atol:  # the one host read of a passing check
        return
    for name, value in zip(names, worst.tolist()):
        if value > atol:
            raise ValueError(
                f'`{name}` must be L2-normalised along the last dim (|norm - 1| <= {atol}), '
                f'got a deviation of {value:.3g}; apply F.normalize(x, dim=-1) in the model.'
            )


def check_labels(labels: Optional[torch.Tensor], batch: int, name: str = 'labels') -> torch.Tensor:
    """Validate integer labels of shape ``[B]``.

    Args:
        labels (torch.Tensor, optional): The labels; ``None`` is an error.
        batch (int): Expected length.
        name (str): Field name used in the error message. Defaults to 'labels'.

    Returns:
        torch.Tensor: The labels as a long tensor.
    """
    if labels is None:
        raise ValueError(f'`{name}` is required by this supervised loss; pass a long tensor of shape [{batch}].')
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.shape[0] != batch:
        shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f'`{name}` must be shaped [{batch}], got {shape}.')
    if labels.is_floating_point():
        raise ValueError(f'`{name}` must hold integer class indices, got {labels.dtype}.')
    return labels.long()


def check_temperature(value: float, name: str = 'temperature') -> float:
    """Return ``value`` as a float, raising a ``TypeError`` unless it is a number, a ``ValueError`` unless > 0.

    Args:
        value (float): The temperature.
        name (str): Field name used in the error message. Defaults to 'temperature'.

    Returns:
        float: The temperature.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'`{name}` must be a positive number, got {value!r} ({type(value).__name__}).')
    if not value > 0:
        raise ValueError(f'`{name}` must be > 0, got {value}.')
    return float(value)


def flatten_views(features: torch.Tensor) -> torch.Tensor:
    """Stack the views of ``[B, V, D]`` features view-major into ``[V * B, D]``.

    Args:
        features (torch.Tensor): Shape ``[B, V, D]``.

    Returns:
        torch.Tensor: Row ``v * B + b`` is ``features[b, v]``.
    """
    return features.transpose(0, 1).reshape(-1, features.shape[-1])


def compute_dtype(*tensors: Optional[torch.Tensor]) -> torch.dtype:
    """The dtype similarities are computed in: float32, or float64 when any input is float64."""
    dtype = torch.float32
    for t in tensors:
        if t is not None:
            dtype = torch.promote_types(dtype, t.dtype)
    return dtype


def masked_logsumexp(x: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``log(sum(exp(x) over entries where mask is True))``, computed with ``-inf`` filling.

    Args:
        x (torch.Tensor): Values.
        mask (torch.Tensor): Boolean mask broadcastable to ``x``.
        dim (int): Reduced dimension. Defaults to -1.

    Returns:
        torch.Tensor: The reduction; ``-inf`` where the mask is empty.
    """
    return x.masked_fill(~mask, float('-inf')).logsumexp(dim)


def gather_batch(features: torch.Tensor, gather_distributed: bool) -> Tuple[torch.Tensor, int]:
    """All-gather ``[B, ...]`` features with gradients when asked.

    Args:
        features (torch.Tensor): Local features, shape ``[B, ...]``.
        gather_distributed (bool): Gather from every rank. Defaults to no gathering when False.

    Returns:
        tuple: The (possibly gathered) features and the row of this rank's first sample in them.
    """
    if not gather_distributed:
        return features, 0
    return all_gather_with_grad(features), rank_offset(features.shape[0])


@overload
def gather_labels(labels: torch.Tensor, gather_distributed: bool) -> torch.Tensor: ...


@overload
def gather_labels(labels: None, gather_distributed: bool) -> None: ...


def gather_labels(labels: Optional[torch.Tensor], gather_distributed: bool) -> Optional[torch.Tensor]:
    """All-gather labels (no gradient) when asked; ``None`` passes through."""
    if labels is None or not gather_distributed:
        return labels
    return all_gather_no_grad(labels)


def local_view_rows(local_batch: int, views: int, global_batch: int, offset: int, device: torch.device) -> torch.Tensor:
    """Rows of this rank's samples in the view-major flattening of the gathered batch.

    Args:
        local_batch (int): Samples on this rank.
        views (int): Views per sample.
        global_batch (int): Samples over all ranks.
        offset (int): Row of this rank's first sample in the gathered batch.
        device (torch.device): Device of the result.

    Returns:
        torch.Tensor: Long tensor ``[views * local_batch]`` in view-major order.
    """
    b = torch.arange(local_batch, device=device) + offset
    v = torch.arange(views, device=device) * global_batch
    return (v[:, None] + b[None, :]).reshape(-1)
