# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated: SimSiam with feature augmentation is mmpretrain's ``SimSiam`` with a :class:`FeatAugHead` now."""

from mmpretrain.models.selfsup import SimSiam

from mmssl_ext.registry import MODELS

__all__ = ['SimSiamFeatAug']


@MODELS.register_module()
class SimSiamFeatAug(SimSiam):
    """Deprecated alias, kept for one release: ``SimSiam`` with ``head=dict(type='FeatAugHead', head=H, feat_aug=F)``.

    Papers: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396;
    "Exploring Simple Siamese Representation Learning", Chen & He, arXiv:2011.10566.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projector config.
        head (dict): ``LatentPredictHead`` config (predictor + cosine loss).
        feat_aug (dict): :class:`FeatureAugmentation` keyword config.
        **kwargs: Other :class:`SimSiam` arguments (``pretrained``, ``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self, backbone: dict, neck: dict, head: dict, feat_aug: dict, **kwargs) -> None:
        wrapped = dict(type='FeatAugHead', head=head, feat_aug=feat_aug)
        super().__init__(backbone=backbone, neck=neck, head=wrapped, **kwargs)
