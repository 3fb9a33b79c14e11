# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated: MoCo v2 with feature augmentation is ``MoCoV2`` with a :class:`FeatAugLoss` now."""

from typing import Optional

from mmssl_ext.registry import MODELS

from ..feature_augs import FeatAugLoss, build_feature_augmentation
from .mocov2 import MoCoV2

__all__ = ['MoCoV2FeatAug', 'build_feature_augmentation']


@MODELS.register_module()
class MoCoV2FeatAug(MoCoV2):
    """Deprecated alias, kept for one release: ``MoCoV2`` with ``loss=dict(type='FeatAugLoss', ...)``.

    Paper: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396.

    ``type='MoCoV2FeatAug', feat_aug=F, keep_base_loss=K, loss=L`` builds ``MoCoV2`` whose loss is
    ``FeatAugLoss(base=L, feat_aug=F, keep_base_loss=K)``; nothing else differs. New configs write that loss.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config (``MoCoV2Neck``).
        feat_aug (dict): :class:`FeatureAugmentation` keyword config.
        keep_base_loss (bool): Keep the un-augmented MoCo loss. Defaults to True.
        loss (dict, optional): The base loss. Defaults to ``MoCoV2.default_loss``.
        **kwargs: :class:`MoCoV2` arguments.
    """

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        feat_aug: dict,
        keep_base_loss: bool = True,
        loss: Optional[dict] = None,
        **kwargs,
    ) -> None:
        base = loss if loss is not None else dict(self.default_loss)
        wrapped = FeatAugLoss(base=base, feat_aug=feat_aug, keep_base_loss=keep_base_loss)
        super().__init__(backbone=backbone, neck=neck, loss=wrapped, **kwargs)
