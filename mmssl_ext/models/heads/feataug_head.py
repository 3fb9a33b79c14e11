# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Feature augmentation around a predictor head (BYOL, SimSiam): the head's loss plus its loss on augmented pairs."""

from typing import Any, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmssl_ext.registry import MODELS

from ..feature_augs.feature_augmentation import FeatureAugmentation, build_feature_augmentation

__all__ = ['FeatAugHead']


@MODELS.register_module()
class FeatAugHead(BaseModule):
    """Feature augmentation of an instance-similarity head, for mmpretrain's BYOL and SimSiam unchanged.

    Papers: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396;
    BYOL, Grill et al., arXiv:2006.07733; SimSiam, Chen & He, arXiv:2011.10566.

    ``loss(anchor, target) = head.loss(anchor, target) + w * head.loss(aug.anchor, aug.target)`` with ``aug`` the
    ``feat_aug`` chain applied to the pair (anchor: the side fed to the predictor, BYOL's online projection or
    SimSiam's ``z``; target: the stop-gradient side). mmpretrain's algorithms call the head once per direction of
    their symmetric loss and scale the sum (BYOL ``2 (l_12 + l_21)``, SimSiam ``(l_12 + l_21) / 2``), so the
    augmented term gets the same scale as the base term. ``w = 0`` skips the augmented branch: the algorithm is
    mmpretrain's exactly. ``keep_base_loss=False`` leaves ``w`` times the augmented term alone (FT's form).
    mmpretrain's algorithms log the head's result as one ``loss``.

    Args:
        head (dict | nn.Module): The wrapped head (``LatentPredictHead``: predictor + loss).
        feat_aug (dict | FeatureAugmentation): :class:`FeatureAugmentation` keyword config.
        keep_base_loss (bool): Keep the head's loss on the un-augmented pair. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        head: Union[dict, nn.Module],
        feat_aug: Union[dict, FeatureAugmentation],
        keep_base_loss: bool = True,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.head: Any = head if isinstance(head, nn.Module) else MODELS.build(head)  # any head with `loss`
        if not hasattr(self.head, 'loss'):
            raise ValueError(f'FeatAugHead wraps a head with a `loss(anchor, target)` method, got {type(self.head)}.')
        self.feat_aug = build_feature_augmentation(feat_aug)
        if not keep_base_loss and not self.feat_aug.enabled:
            raise ValueError('`keep_base_loss=False` with `feat_aug.loss_weight=0` leaves no loss term.')
        self.keep_base_loss = keep_base_loss

    def loss(self, anchor: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The head's loss on the pair plus ``w`` times its loss on the augmented pair.

        Args:
            anchor (torch.Tensor): ``[N, D]`` projections fed to the predictor.
            target (torch.Tensor): ``[N, D]`` target projections (stop-gradient in the head).

        Returns:
            torch.Tensor: Scalar loss.
        """
        terms = [self.head.loss(anchor, target)] if self.keep_base_loss else []
        if self.feat_aug.enabled:
            aug = self.feat_aug(anchor, target)
            terms.append(self.feat_aug.loss_weight * self.head.loss(aug.anchor, aug.target))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]
