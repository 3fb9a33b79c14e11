# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Feature augmentation around a contrastive loss: the base loss plus the same loss on augmented features."""

from typing import Dict, Optional, Union

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from ..losses import QueueInfoNCELoss
from .feature_augmentation import FeatureAugmentation, build_feature_augmentation

__all__ = ['FeatAugLoss']


@MODELS.register_module()
class FeatAugLoss(nn.Module):
    """Feature augmentation of an instance-discrimination loss (MoCo v2's queue form, NT-Xent).

    Papers: "Feature Augmentation for Self-supervised Contrastive Learning", Zhang et al., arXiv:2410.12396;
    FT, "Improving Contrastive Learning by Visualizing Feature Transformation", Zhu et al., arXiv:2108.02982.

    For ``[B, 2, D]`` (query, key) features and the queue snapshot, the ``feat_aug`` chain maps
    (query, key, queue) to augmented versions and the base loss runs again on them:
    ``L = L_base + w * L_base(aug(q), aug(k), aug(queue))`` (``keep_base_loss=False`` gives ``w * L_aug`` alone,
    FT's form). Augmenters get copies, so the caller's queue is never touched; augmented features are used as
    they come (FT does not re-normalise after mixing; an augmenter's ``renorm=True`` does). ``w = 0`` skips the
    augmented branch: the result is the base loss exactly. The terms come back by name (``loss_base``,
    ``loss_aug``), so MMEngine logs each and trains on their sum.

    Args:
        base (dict | nn.Module): The wrapped loss, called as ``base(features, queue=..., check_norm=...)``.
        feat_aug (dict | FeatureAugmentation): :class:`FeatureAugmentation` keyword config.
        keep_base_loss (bool): Keep the un-augmented term. Defaults to True.
    """

    def __init__(
        self, base: Union[dict, nn.Module], feat_aug: Union[dict, FeatureAugmentation], keep_base_loss: bool = True
    ) -> None:
        super().__init__()
        self.base = base if isinstance(base, nn.Module) else MODELS.build(base)
        self.feat_aug = build_feature_augmentation(feat_aug)
        self.keep_base_loss = keep_base_loss
        if not keep_base_loss and not self.feat_aug.enabled:
            raise ValueError('`keep_base_loss=False` with `feat_aug.loss_weight=0` leaves no loss term.')
        aug = self.feat_aug
        if isinstance(self.base, QueueInfoNCELoss) and aug.enabled and aug.detach_input:
            if 'anchor' in aug.modified_fields():
                # The key and the queue carry no gradient in MoCo, so a detached query leaves the augmented
                # term without any path to the encoder: it would train silently without the augmentation.
                raise ValueError(
                    '`feat_aug.detach_input=True` with an augmenter that writes the query (`anchor`) gives '
                    '`loss_aug` no gradient path to the encoder (MoCo keys and queue are stop-gradient); set '
                    '`feat_aug.detach_input=False` (the FT recipe) or use augmenters that only write `target` / '
                    f'`negatives`. Augmented fields: {aug.modified_fields()}.'
                )

    def forward(
        self, features: torch.Tensor, queue: Optional[torch.Tensor] = None, **kwargs
    ) -> Dict[str, torch.Tensor]:
        """Compute the named loss terms.

        Args:
            features (torch.Tensor): ``[B, 2, D]`` L2-normalised (query, key) features.
            queue (torch.Tensor, optional): ``[K, D]`` negatives (queue form). Defaults to None.
            **kwargs: Further inputs of the base term (e.g. ``extra_negatives``); the augmented term gets none.

        Returns:
            dict[str, torch.Tensor]: ``loss_base`` (with ``keep_base_loss``) and ``loss_aug`` (when enabled).
        """
        queue_kw = {} if queue is None else dict(queue=queue)
        losses: Dict[str, torch.Tensor] = {}
        if self.keep_base_loss:
            losses['loss_base'] = self.base(features, **queue_kw, **kwargs)
        if self.feat_aug.enabled:
            if features.dim() != 3 or features.shape[1] != 2:
                raise ValueError(f'FeatAugLoss needs [B, 2, D] (query, key) features, got {tuple(features.shape)}.')
            aug = self.feat_aug(features[:, 0], features[:, 1], queue)
            pair = torch.stack([aug.anchor, aug.target], dim=1)  # unwritten fields come back as they went in
            aug_kw = {} if queue is None else dict(queue=aug.negatives)
            losses['loss_aug'] = self.feat_aug.loss_weight * self.base(pair, **aug_kw, check_norm=False)
        return losses
