# Copyright (c) mmssl_ext contributors. All rights reserved.
"""A chain of feature augmenters with the stop-gradient switches used by the algorithms."""

from typing import Any, Iterable, List, Optional, Tuple, Union, cast

import torch
import torch.nn as nn
from torch import Tensor

from mmssl_ext.registry import FEATURE_AUGMENTERS

from .base import FIELDS, BaseFeatureAugmenter, FeatureTriplet, check_triplet

__all__ = ['FeatureAugmentation', 'build_feature_augmentation']

AugmenterCfg = Union[dict, nn.Module]


class FeatureAugmentation(nn.Module):
    """Apply a chain of :data:`~mmssl_ext.registry.FEATURE_AUGMENTERS` to ``(anchor, target, negatives)``.

    The algorithms add ``loss_weight * L_aug`` (the loss on the augmented features) to their base loss and skip
    the augmented branch entirely when ``loss_weight == 0`` (:attr:`enabled`), which reproduces the base method.
    ``detach_input`` stops the gradient on every field that some augmenter of the chain writes, before the chain
    (fields nobody writes keep their gradient); ``detach_output`` detaches those fields after it.

    Paper: Zhang et al., "Feature Augmentation for Self-supervised Contrastive Learning", arXiv:2410.12396
    (stop-gradient on the augmenter's input, [unverified] secondary summary); FT, Zhu et al., arXiv:2108.02982.

    Args:
        augmenters (dict | nn.Module | list): Augmenter configs (built from ``FEATURE_AUGMENTERS``) or built
            :class:`BaseFeatureAugmenter` modules, applied in order.
        loss_weight (float): Weight ``w >= 0`` of the augmented loss. Defaults to 1.0.
        detach_input (bool): Stop-gradient on the modified fields before the chain. Defaults to True.
        detach_output (bool): Stop-gradient on the modified fields after the chain. Defaults to False.
    """

    def __init__(
        self,
        augmenters: Union[AugmenterCfg, List[AugmenterCfg]],
        loss_weight: float = 1.0,
        detach_input: bool = True,
        detach_output: bool = False,
    ) -> None:
        super().__init__()
        if isinstance(augmenters, (dict, nn.Module)):
            augmenters = [augmenters]
        if len(augmenters) == 0:
            raise ValueError('`augmenters` must hold at least one augmenter.')
        built = [a if isinstance(a, nn.Module) else FEATURE_AUGMENTERS.build(a) for a in augmenters]
        for aug in built:
            if not isinstance(aug, BaseFeatureAugmenter):
                raise TypeError(f'`augmenters` must be BaseFeatureAugmenter modules, got {type(aug).__name__}.')
        if not loss_weight >= 0:
            raise ValueError(f'`loss_weight` must be >= 0, got {loss_weight}.')
        self.augmenters = nn.ModuleList(built)
        self.loss_weight = float(loss_weight)
        self.detach_input = bool(detach_input)
        self.detach_output = bool(detach_output)

    @property
    def enabled(self) -> bool:
        """Whether the augmented branch contributes (``loss_weight != 0``)."""
        return self.loss_weight != 0

    def modified_fields(self) -> Tuple[str, ...]:
        """Union of the fields written by the chain, in ``FeatureTriplet`` order."""
        augmenters = cast(Iterable[BaseFeatureAugmenter], self.augmenters)  # checked in __init__
        written = {f for aug in augmenters for f in aug.modified_fields()}
        return tuple(f for f in FIELDS if f in written)

    def init_weights(self) -> None:
        """Re-initialise the augmenters that define ``init_weights`` (called by mmengine's ``BaseModule``)."""
        for aug in self.augmenters:
            if hasattr(aug, 'init_weights'):
                cast(Any, aug).init_weights()

    def _detach(self, feats: FeatureTriplet) -> FeatureTriplet:
        fields = self.modified_fields()
        return feats._replace(**{f: getattr(feats, f).detach() for f in fields if getattr(feats, f) is not None})

    def forward(
        self,
        anchor: Tensor,
        target: Tensor,
        negatives: Optional[Tensor] = None,
        generator: Optional[torch.Generator] = None,
    ) -> FeatureTriplet:
        """Run the chain.

        Args:
            anchor (Tensor): ``[N, D]`` query / online features.
            target (Tensor): ``[N, D]`` key / target features.
            negatives (Tensor, optional): ``[K, D]`` negatives (queue). Defaults to None.
            generator (torch.Generator, optional): Source of every random draw. Defaults to None.

        Returns:
            FeatureTriplet: The augmented features (unmodified fields are the input tensors).
        """
        feats = check_triplet(FeatureTriplet(anchor, target, negatives))
        if self.detach_input:
            feats = self._detach(feats)
        for aug in self.augmenters:
            feats = aug(feats, generator)
        if self.detach_output:
            feats = self._detach(feats)
        return feats

    def extra_repr(self) -> str:
        """Settings shown by ``repr``."""
        return f'loss_weight={self.loss_weight}, detach_input={self.detach_input}, detach_output={self.detach_output}'


def build_feature_augmentation(cfg: Union[dict, nn.Module]) -> FeatureAugmentation:
    """Build :class:`FeatureAugmentation` from its keyword config (``augmenters``, ``loss_weight``, ...).

    Args:
        cfg (dict | nn.Module): The keyword config, or a built :class:`FeatureAugmentation` (returned as is).

    Returns:
        FeatureAugmentation: The chain.
    """
    if isinstance(cfg, FeatureAugmentation):
        return cfg
    if not isinstance(cfg, dict) or 'augmenters' not in cfg:
        raise ValueError(
            '`feat_aug` must be a dict with `augmenters` (a FEATURE_AUGMENTERS config or a list of them) and '
            f'optional `loss_weight`, `detach_input`, `detach_output`; got {cfg!r}.'
        )
    return FeatureAugmentation(**cfg)
