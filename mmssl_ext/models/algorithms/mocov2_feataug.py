# Copyright (c) mmssl_ext contributors. All rights reserved.
"""MoCo v2 with feature-space augmentation after the neck (instance discrimination)."""

from typing import Dict, List, Union

import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from ..feature_augs import FeatureAugmentation
from .mocov2 import MoCoV2

__all__ = ['MoCoV2FeatAug', 'build_feature_augmentation']


def build_feature_augmentation(cfg: Union[dict, nn.Module]) -> FeatureAugmentation:
    """Build :class:`FeatureAugmentation` from its keyword config (``augmenters``, ``loss_weight``, ...)."""
    if isinstance(cfg, FeatureAugmentation):
        return cfg
    if not isinstance(cfg, dict) or 'augmenters' not in cfg:
        raise ValueError(
            '`feat_aug` must be a dict with `augmenters` (a FEATURE_AUGMENTERS config or a list of them) and '
            f'optional `loss_weight`, `detach_input`, `detach_output`; got {cfg!r}.'
        )
    return FeatureAugmentation(**cfg)


@MODELS.register_module()
class MoCoV2FeatAug(MoCoV2):
    """MoCo v2 with feature augmentation after the neck (instance discrimination).

    Papers: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396;
    FT, "Improving Contrastive Learning by Visualizing Feature Transformation", Zhu et al., arXiv:2108.02982.

    After the neck, the chain of ``feat_aug`` maps (query, key, queue snapshot) to augmented versions, and
    the same InfoNCE loss on them is added: ``L = L_moco + w * L_aug`` (``keep_base_loss=False`` gives
    ``w * L_aug`` alone, FT's form). The queue buffer is never touched by an augmenter (they get a copy)
    and receives the un-augmented keys. Augmented features are used as they come (FT does not
    re-normalise after mixing; an augmenter's ``renorm=True`` does). ``w = 0`` skips the augmented
    branch: the step is MoCo v2's exactly.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config (``MoCoV2Neck``).
        feat_aug (dict): :class:`FeatureAugmentation` keyword config.
        keep_base_loss (bool): Keep the un-augmented MoCo loss. Defaults to True.
        **kwargs: :class:`MoCoV2` arguments.
    """

    def __init__(self, backbone: dict, neck: dict, feat_aug: dict, keep_base_loss: bool = True, **kwargs) -> None:
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        self.feat_aug = build_feature_augmentation(feat_aug)
        self.keep_base_loss = keep_base_loss
        if self.feat_aug.enabled and self.feat_aug.detach_input and 'anchor' in self.feat_aug.modified_fields():
            # The key and the queue carry no gradient in MoCo, so a detached query leaves the augmented
            # term without any path to the encoder: it would train silently without the augmentation.
            raise ValueError(
                '`feat_aug.detach_input=True` with an augmenter that writes the query (`anchor`) gives '
                '`loss_aug` no gradient path to the encoder (MoCo keys and queue are stop-gradient); set '
                '`feat_aug.detach_input=False` (the FT recipe) or use augmenters that only write `target` / '
                f'`negatives`. Augmented fields: {self.feat_aug.modified_fields()}.'
            )

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """MoCo v2 step plus the augmented-feature term.

        Args:
            inputs (list[torch.Tensor]): ``[query view, key view]`` batches.
            data_samples (list[DataSample]): Unused.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_base`` and ``loss_aug`` (MMEngine logs their sum as ``loss``).
        """
        self._check_views(inputs, 2)
        query = self.encode_query(inputs[0])
        key = self.encode_key(inputs[1])
        negatives = self.negatives()
        losses: Dict[str, torch.Tensor] = {}
        if self.keep_base_loss:
            losses['loss_base'] = self.loss_module(torch.stack([query, key], dim=1), queue=negatives)
        if self.feat_aug.enabled:
            aug = self.feat_aug(query, key, negatives)
            pair = torch.stack([aug.anchor, aug.target], dim=1)  # unwritten fields come back as they went in
            loss_aug = self.loss_module(pair, queue=aug.negatives, check_norm=False)
            losses['loss_aug'] = self.feat_aug.loss_weight * loss_aug
        self.enqueue(key)
        return losses
