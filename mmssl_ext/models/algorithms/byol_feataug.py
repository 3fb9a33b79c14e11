# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated: BYOL with feature augmentation is mmpretrain's ``BYOL`` with a :class:`FeatAugHead` now."""

from mmpretrain.models.selfsup import BYOL

from mmssl_ext.registry import MODELS

__all__ = ['BYOLFeatAug']


@MODELS.register_module()
class BYOLFeatAug(BYOL):
    """Deprecated alias, kept for one release: ``BYOL`` with ``head=dict(type='FeatAugHead', head=H, feat_aug=F)``.

    Papers: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396;
    "Bootstrap Your Own Latent", Grill et al., arXiv:2006.07733.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projector config.
        head (dict): ``LatentPredictHead`` config (predictor + loss).
        feat_aug (dict): :class:`FeatureAugmentation` keyword config.
        base_momentum (float): Target EMA momentum, MMEngine convention. Defaults to 0.004.
        **kwargs: Other :class:`BYOL` arguments.
    """

    def __init__(
        self, backbone: dict, neck: dict, head: dict, feat_aug: dict, base_momentum: float = 0.004, **kwargs
    ) -> None:
        wrapped = dict(type='FeatAugHead', head=head, feat_aug=feat_aug)
        super().__init__(backbone=backbone, neck=neck, head=wrapped, base_momentum=base_momentum, **kwargs)
