# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Feature triplet, base feature augmenter and generator-driven random draws (uniform, normal, permutation, Beta)."""

import math
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Iterator, NamedTuple, Optional, Sequence, Tuple, Union, cast

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'FeatureTriplet',
    'BaseFeatureAugmenter',
    'sample_beta',
    'rand_uniform',
    'rand_normal',
    'rand_perm',
    'check_triplet',
]

FIELDS: Tuple[str, ...] = ('anchor', 'target', 'negatives')
Shape = Union[int, Sequence[int]]


class FeatureTriplet(NamedTuple):
    """Features an augmenter reads and writes.

    Attributes:
        anchor (Tensor): ``[N, D]`` query / online features; may carry gradient.
        target (Tensor): ``[N, D]`` key / target features of the same samples.
        negatives (Optional[Tensor]): ``[K, D]`` negatives (e.g. a MoCo queue), or None.
    """

    anchor: Tensor
    target: Tensor
    negatives: Optional[Tensor] = None


def check_triplet(feats: Union[FeatureTriplet, Sequence[Optional[Tensor]]]) -> FeatureTriplet:
    """Validate shapes and return a :class:`FeatureTriplet`.

    Args:
        feats (FeatureTriplet | Sequence): ``(anchor, target[, negatives])``.

    Returns:
        FeatureTriplet: The same tensors as a named tuple.
    """
    # the items' types are checked below (only negatives may be None)
    feats = feats if isinstance(feats, FeatureTriplet) else FeatureTriplet(*cast(Sequence[Any], feats))
    if feats.anchor.dim() != 2:
        raise ValueError(f'`anchor` must be [N, D], got shape {tuple(feats.anchor.shape)}.')
    if feats.target.shape != feats.anchor.shape:
        raise ValueError(f'`target` must match `anchor` {tuple(feats.anchor.shape)}, got {tuple(feats.target.shape)}.')
    neg = feats.negatives
    if neg is not None and (neg.dim() != 2 or neg.shape[1] != feats.anchor.shape[1]):
        raise ValueError(f'`negatives` must be [K, {feats.anchor.shape[1]}], got shape {tuple(neg.shape)}.')
    return feats


def _draw_device(generator: Optional[torch.Generator], device: Optional[torch.device]) -> Optional[torch.device]:
    return generator.device if generator is not None else device


def _draw(
    sampler: Callable[..., Tensor],
    shape: Shape,
    generator: Optional[torch.Generator],
    device: Optional[torch.device],
    dtype: torch.dtype,
) -> Tensor:
    """Call ``torch.rand``/``torch.randn`` on the generator's device, then move the draws to ``device``."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    out = sampler(shape, generator=generator, device=_draw_device(generator, device), dtype=dtype)
    return out.to(device) if device is not None else out


def rand_uniform(
    shape: Shape,
    generator: Optional[torch.Generator] = None,
    device: Optional[torch.device] = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """``U[0, 1)`` draws from ``generator`` (global RNG if None), moved to ``device``.

    Args:
        shape (int | Sequence[int]): Output shape.
        generator (torch.Generator, optional): Source of randomness. Defaults to None.
        device (torch.device, optional): Output device. Defaults to None.
        dtype (torch.dtype): Output dtype. Defaults to torch.float32.

    Returns:
        Tensor: The draws.
    """
    return _draw(torch.rand, shape, generator, device, dtype)


def rand_normal(
    shape: Shape,
    generator: Optional[torch.Generator] = None,
    device: Optional[torch.device] = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Standard normal draws, with the arguments of :func:`rand_uniform`.

    Args:
        shape (int | Sequence[int]): Output shape.
        generator (torch.Generator, optional): Random source, the global RNG when None. Defaults to None.
        device (torch.device, optional): Where the draws end up. Defaults to None.
        dtype (torch.dtype): Their dtype. Defaults to torch.float32.

    Returns:
        Tensor: ``N(0, 1)`` samples.
    """
    return _draw(torch.randn, shape, generator, device, dtype)


def rand_perm(n: int, generator: Optional[torch.Generator] = None, device: Optional[torch.device] = None) -> Tensor:
    """A random permutation of ``range(n)``.

    Args:
        n (int): Length.
        generator (torch.Generator, optional): Source of randomness. Defaults to None.
        device (torch.device, optional): Output device. Defaults to None.

    Returns:
        Tensor: ``[n]`` int64 permutation.
    """
    out = torch.randperm(n, generator=generator, device=_draw_device(generator, device))
    return out.to(device) if device is not None else out


@contextmanager
def _drawing_from(generator: Optional[torch.Generator]) -> Iterator[None]:
    """Let the default generator of ``generator``'s device draw ``generator``'s stream (swapped in, then back).

    :mod:`torch.distributions` samples from the default generators only; this gives its samplers a seeded stream
    without a host sync (generator states are host tensors) and advances ``generator`` by what they drew.
    """
    if generator is None:
        yield
        return
    device = generator.device
    if device.type == 'cpu':
        get_state, set_state = torch.get_rng_state, torch.set_rng_state
    else:
        index = device.index if device.index is not None else torch.cuda.current_device()

        def get_state() -> Tensor:
            return torch.cuda.get_rng_state(index)

        def set_state(new_state: Tensor) -> None:  # torch.set_rng_state's parameter name
            torch.cuda.set_rng_state(new_state, index)

    saved = get_state()
    set_state(generator.get_state())
    try:
        yield
    finally:
        generator.set_state(get_state())
        set_state(saved)


def sample_beta(
    alpha: float,
    beta: float,
    shape: Shape = (),
    generator: Optional[torch.Generator] = None,
    device: Optional[torch.device] = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """``Beta(alpha, beta)`` draws (:class:`torch.distributions.Beta`, in float64), from ``generator`` when given.

    :class:`torch.distributions.Beta` has no ``generator`` argument; a given generator's stream is swapped into the
    default generator of its device for the draw (no host sync), so a seeded generator makes the result
    reproducible and the global random state is left as it was.

    Args:
        alpha (float): First shape parameter, > 0.
        beta (float): Second shape parameter, > 0.
        shape (int | Sequence[int]): Output shape; ``()`` gives a scalar tensor. Defaults to ().
        generator (torch.Generator, optional): Source of randomness. Defaults to None (the global RNG).
        device (torch.device, optional): Output device. Defaults to None.
        dtype (torch.dtype): Output dtype. Defaults to torch.float32.

    Returns:
        Tensor: Draws in ``[0, 1]`` of the given shape.
    """
    for name, value in (('alpha', alpha), ('beta', beta)):
        if not value > 0 or math.isinf(value):
            raise ValueError(f'`{name}` of the Beta distribution must be a finite number > 0, got {value}.')
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    params = torch.tensor([float(alpha), float(beta)], dtype=torch.float64, device=_draw_device(generator, device))
    with _drawing_from(generator):
        out = torch.distributions.Beta(params[0], params[1]).sample(shape)
    return out.to(device=device, dtype=dtype) if device is not None else out.to(dtype)


class BaseFeatureAugmenter(nn.Module):
    """Base of the feature-space augmenters: maps a :class:`FeatureTriplet` to a new one.

    Pointwise subclasses implement :meth:`augment` (one ``[N, D]`` tensor to its augmented copy) and are applied
    to each field of ``on``; augmenters coupling fields override :meth:`forward`. Inputs are never modified in
    place (negatives are often a view of a queue buffer): modified fields are new tensors, the others are the
    input tensors. Augmenters act whatever the module's train/eval mode (unlike :class:`torch.nn.Dropout`): the
    algorithms call them only from ``loss()``, i.e. in training.

    Args:
        on (Sequence[str] | str): Fields to augment, a subset of :attr:`allowed_fields`. Defaults to ('anchor',).
        apply_prob (float): Each row is augmented with this probability; other rows keep the input value
            exactly. Defaults to 1.0.
        renorm (bool): L2-normalise the augmented rows. Defaults to False.
    """

    allowed_fields: ClassVar[Tuple[str, ...]] = ('anchor', 'target')

    def __init__(self, on: Union[str, Sequence[str]] = ('anchor',), apply_prob: float = 1.0, renorm: bool = False):
        super().__init__()
        on = (on,) if isinstance(on, str) else tuple(on)
        if not on or len(set(on)) != len(on) or not set(on) <= set(self.allowed_fields):
            raise ValueError(
                f'`on` must be a non-empty subset of {self.allowed_fields} for {type(self).__name__}, got {on}.'
            )
        if not 0.0 <= apply_prob <= 1.0:
            raise ValueError(f'`apply_prob` must be in [0, 1], got {apply_prob}.')
        self.on = tuple(f for f in FIELDS if f in on)
        self.apply_prob = float(apply_prob)
        self.renorm = bool(renorm)

    def modified_fields(self) -> Tuple[str, ...]:
        """The fields of the triplet this augmenter writes, in ``FeatureTriplet`` order."""
        return self.on

    def augment(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """Augment every row of one ``[N, D]`` tensor (pointwise augmenters).

        Args:
            x (Tensor): ``[N, D]`` features.
            generator (torch.Generator, optional): Source of randomness. Defaults to None.

        Returns:
            Tensor: ``[N, D]`` augmented features (a new tensor).

        Raises:
            TypeError: In a subclass that overrides neither this hook nor :meth:`forward`.
        """
        raise TypeError(
            f'{type(self).__name__} must override `augment` (pointwise augmenters) or `forward` (augmenters that '
            'write several fields, such as PositiveExtrapolation).'
        )

    def row_mask(self, n: int, generator: Optional[torch.Generator], device: torch.device) -> Optional[Tensor]:
        """``[n]`` bool mask of the rows to augment (``apply_prob``), None when every row is."""
        if self.apply_prob >= 1.0:
            return None
        return rand_uniform(n, generator, device) < self.apply_prob

    def finish(self, x: Tensor, y: Tensor, mask: Optional[Tensor]) -> Tensor:
        """Apply ``renorm`` to the augmented ``y`` and keep ``x`` on the rows outside ``mask``."""
        if self.renorm:
            y = F.normalize(y, dim=-1)
        return y if mask is None else torch.where(mask[:, None], y, x)

    def forward(self, feats: FeatureTriplet, generator: Optional[torch.Generator] = None) -> FeatureTriplet:
        """Augment the fields of ``on``.

        Args:
            feats (FeatureTriplet): Input features.
            generator (torch.Generator, optional): Source of every random draw. Defaults to None.

        Returns:
            FeatureTriplet: New triplet; the fields of :meth:`modified_fields` are new tensors.
        """
        feats = check_triplet(feats)
        updates = {}
        for field in self.on:
            x = getattr(feats, field)
            y = self.augment(x, generator)
            updates[field] = self.finish(x, y, self.row_mask(x.shape[0], generator, x.device))
        return feats._replace(**updates)

    def extra_repr(self) -> str:
        """Settings shown by ``repr``."""
        return f'on={self.on}, apply_prob={self.apply_prob}, renorm={self.renorm}'
