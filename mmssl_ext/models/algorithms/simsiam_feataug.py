# Copyright (c) mmssl_ext contributors. All rights reserved.
"""SimSiam with feature-space augmentation after the neck (instance similarity)."""

from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models.selfsup import SimSiam
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from .mocov2_feataug import build_feature_augmentation

__all__ = ['SimSiamFeatAug']


@MODELS.register_module()
class SimSiamFeatAug(SimSiam):
    """SimSiam with feature augmentation after the neck (instance similarity).

    Papers: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396;
    "Exploring Simple Siamese Representation Learning", Chen & He, arXiv:2011.10566.

    The pairs ``(z1, z2)`` and ``(z2, z1)`` of SimSiam's symmetric loss go through the ``feat_aug`` chain
    (anchor: the side fed to the predictor; target: the stop-gradient side). ``L = L_simsiam + w * L_aug``;
    ``w = 0`` skips the augmented branch and the step is mmpretrain's SimSiam exactly.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projector config.
        head (dict): ``LatentPredictHead`` config (predictor + cosine loss).
        feat_aug (dict): :class:`FeatureAugmentation` keyword config.
        pretrained (str, optional): Pre-trained checkpoint. Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        head: dict,
        feat_aug: dict,
        pretrained: Optional[str] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.feat_aug = build_feature_augmentation(feat_aug)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """SimSiam step plus the augmented-feature term.

        Args:
            inputs (list[torch.Tensor]): Two view batches.
            data_samples (list[DataSample]): Unused.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_base`` and ``loss_aug`` (MMEngine logs their sum as ``loss``).
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('SimSiamFeatAug expects 2 views per sample (MultiView with num_views=2).')
        z1 = self.neck(self.backbone(inputs[0]))[0]
        z2 = self.neck(self.backbone(inputs[1]))[0]
        losses = dict(loss_base=0.5 * (self.head.loss(z1, z2) + self.head.loss(z2, z1)))
        if self.feat_aug.enabled:
            aug_1 = self.feat_aug(z1, z2)
            aug_2 = self.feat_aug(z2, z1)
            aug = self.head.loss(aug_1.anchor, aug_1.target) + self.head.loss(aug_2.anchor, aug_2.target)
            losses['loss_aug'] = self.feat_aug.loss_weight * 0.5 * aug
        return losses
