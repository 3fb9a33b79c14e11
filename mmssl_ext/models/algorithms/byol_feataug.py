# Copyright (c) mmssl_ext contributors. All rights reserved.
"""BYOL with feature-space augmentation after the neck (instance similarity)."""

from typing import Dict, List

import torch
import torch.nn as nn
from mmpretrain.models.selfsup import BYOL
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from .mocov2_feataug import build_feature_augmentation

__all__ = ['BYOLFeatAug']


@MODELS.register_module()
class BYOLFeatAug(BYOL):
    """BYOL with feature augmentation after the neck (instance similarity).

    Papers: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396;
    "Bootstrap Your Own Latent", Grill et al., arXiv:2006.07733.

    Each (online projection, target projection) pair of the two symmetric BYOL terms goes through the
    ``feat_aug`` chain; ``on=('anchor',)`` augments the online branch (before the predictor of the head),
    ``('target',)`` the target branch (the predictor and the augmenter then act on different views), both
    for both. ``L = L_byol + w * L_aug`` with the head's loss on the augmented pairs; ``w = 0`` skips the
    augmented branch and the step is mmpretrain's BYOL exactly.

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
        super().__init__(backbone=backbone, neck=neck, head=head, base_momentum=base_momentum, **kwargs)
        self.feat_aug = build_feature_augmentation(feat_aug)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """BYOL step plus the augmented-feature term.

        Args:
            inputs (list[torch.Tensor]): Two view batches.
            data_samples (list[DataSample]): Unused.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_base`` and ``loss_aug`` (MMEngine logs their sum as ``loss``).
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('BYOLFeatAug expects 2 views per sample (MultiView with num_views=2).')
        online_1 = self.neck(self.backbone(inputs[0]))[0]
        online_2 = self.neck(self.backbone(inputs[1]))[0]
        with torch.no_grad():
            self.target_net.update_parameters(nn.Sequential(self.backbone, self.neck))
            target_1 = self.target_net(inputs[0])[0]
            target_2 = self.target_net(inputs[1])[0]
        losses = dict(loss_base=2.0 * (self.head.loss(online_1, target_2) + self.head.loss(online_2, target_1)))
        if self.feat_aug.enabled:
            aug_1 = self.feat_aug(online_1, target_2)
            aug_2 = self.feat_aug(online_2, target_1)
            aug = self.head.loss(aug_1.anchor, aug_1.target) + self.head.loss(aug_2.anchor, aug_2.target)
            losses['loss_aug'] = self.feat_aug.loss_weight * 2.0 * aug
        return losses
