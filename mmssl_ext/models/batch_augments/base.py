# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The base of the batched view augmentations: a per-sample probability, and ops on a subset of the batch."""

from abc import ABC, abstractmethod
from typing import Callable, Dict

import torch

__all__ = ['BaseBatchAugment', 'apply_to_subset', 'check_prob', 'check_range']


def check_prob(owner: str, prob: float) -> float:
    """Return ``prob`` as a float after checking that it is a number in [0, 1].

    Args:
        owner (str): The class name used in the error message.
        prob (float): The probability.

    Returns:
        float: ``prob``.
    """
    if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0.0 <= prob <= 1.0:
        raise ValueError(f'{owner}: prob must be a number in [0, 1], got {prob!r}')
    return float(prob)


def check_range(owner: str, name: str, value, low: float = float('-inf'), high: float = float('inf')) -> tuple:
    """Return ``value`` as a ``(min, max)`` float pair after checking ``low <= min <= max <= high``.

    Args:
        owner (str): The class name used in the error message.
        name (str): The argument name used in the error message.
        value (Sequence[float]): The pair.
        low (float): The smallest allowed value. Defaults to -inf.
        high (float): The largest allowed value. Defaults to inf.

    Returns:
        tuple: ``(float(min), float(max))``.
    """
    ok = isinstance(value, (tuple, list)) and len(value) == 2
    ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    if not ok or not low <= value[0] <= value[1] <= high:
        raise ValueError(f'{owner}: {name} must be a pair (min, max) with {low} <= min <= max <= {high}, got {value!r}')
    return float(value[0]), float(value[1])


def apply_to_subset(
    img: torch.Tensor, mask: torch.Tensor, fn: Callable[..., torch.Tensor], *params: torch.Tensor, inplace: bool = False
) -> torch.Tensor:
    """``fn(img, *params)`` on the samples where ``mask`` holds; the other samples are returned unchanged.

    On CPU the op runs on the selected samples only (boolean indexing, so its cost scales with the share of
    selected samples). On other devices the op runs on the whole batch and :func:`torch.where` keeps the selected
    outputs: boolean indexing would need the number of selected samples on the host, a device sync per op.
    Both give the same values.

    Args:
        img (torch.Tensor): (B, C, H, W) batch.
        mask (torch.Tensor): (B,) bool, the samples to change.
        fn (Callable): The op, ``fn(img, *params) -> img`` with per-sample params of length B.
        *params (torch.Tensor): The per-sample parameters, each with first dimension B.
        inplace (bool): On CPU, write the selected outputs into ``img`` instead of a copy (for a caller that owns
            ``img``). Defaults to False.

    Returns:
        torch.Tensor: The batch with the selected samples replaced.
    """
    if img.device.type == 'cpu':
        return _subset_by_index(img, mask, fn, params, inplace)
    return _subset_by_where(img, mask, fn, params)


def _subset_by_index(
    img: torch.Tensor, mask: torch.Tensor, fn: Callable[..., torch.Tensor], params: tuple, inplace: bool
) -> torch.Tensor:
    idx = mask.nonzero().squeeze(1)
    if idx.numel() == img.shape[0]:
        return fn(img, *params)
    out = img if inplace else img.clone()
    if idx.numel():
        out[idx] = fn(img[idx], *(p[idx] for p in params))
    return out


def _subset_by_where(
    img: torch.Tensor, mask: torch.Tensor, fn: Callable[..., torch.Tensor], params: tuple
) -> torch.Tensor:
    return torch.where(mask.view(-1, *([1] * (img.dim() - 1))), fn(img, *params), img)


class BaseBatchAugment(ABC):
    """A batched augmentation: ``__call__`` draws per-sample parameters, then applies them.

    Inputs and outputs are float32 (B, C, H, W) RGB batches holding integral values in [0, 255] (a uint8 batch
    cast to float): every op rounds and clips like its per-image uint8 counterpart. Randomness comes from torch's
    generator of the batch's device, so ``torch.manual_seed`` fixes the output. Subclasses implement
    :meth:`sample` (a dict of per-sample tensors, ``'apply'`` the bool mask of the samples the op touches) and
    :meth:`apply` (a pure function of the batch and those parameters), so that tests can fix the parameters.

    Args:
        prob (float): Probability of applying the op to each sample. Defaults to 1.0.
    """

    def __init__(self, prob: float = 1.0) -> None:
        self.prob = check_prob(type(self).__name__, prob)

    def _coin(self, batch_size: int, device: torch.device) -> torch.Tensor:
        return torch.rand(batch_size, device=device) < self.prob

    @abstractmethod
    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw the per-sample parameters for ``img``.

        Args:
            img (torch.Tensor): The (B, C, H, W) batch.

        Returns:
            dict: Per-sample tensors of length B, including ``'apply'`` (bool).
        """

    @abstractmethod
    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Apply the op with the given parameters.

        Args:
            img (torch.Tensor): The (B, C, H, W) batch.
            params (dict): The output of :meth:`sample` (or fixed values of the same form).

        Returns:
            torch.Tensor: The augmented batch.
        """

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        """Augment ``img`` with freshly drawn parameters."""
        if img.dim() != 4 or img.dtype != torch.float32:
            raise ValueError(
                f'{type(self).__name__}: img must be a float32 (B, C, H, W) tensor, '
                f'got {img.dtype} of shape {tuple(img.shape)}'
            )
        return self.apply(img, self.sample(img))
