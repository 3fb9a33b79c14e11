# Copyright (c) mmssl_ext contributors. All rights reserved.
"""SCE: MoCo v2's queue and momentum encoder with a predictor, a cosine momentum and the soft SCE target."""

from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from ..utils import CosineHostStepsEMA, HostStepsEMA
from .mocov2 import MoCoV2

__all__ = ['SCE']


@MODELS.register_module()
class SCE(MoCoV2):
    """Similarity Contrastive Estimation for Self-Supervised Soft Contrastive Learning, Denize et al., arXiv:2111.14585.

    The online branch is ``backbone -> neck (projector) -> predictor``, the target branch an EMA of
    ``backbone -> neck`` (no predictor), both L2-normalised; the keys enter a queue as in :class:`MoCoV2`
    (checkpointed, all-gathered before enqueue). The loss is :class:`SCELoss`: the online distribution over
    ``[positive key, queue]`` at ``temperature`` is fitted to ``lambda one_hot + (1 - lambda) softmax(k .
    queue / temperature_m)``, a sharper distribution computed from the key. ``coeff=1`` is MoCo's InfoNCE
    (tested). As the official code (eztorch ``SCEModel``):

    * ``symmetric=True`` (the released ImageNet recipe): each view is the query of the other view's key, the
      loss is the mean of the two directions and both key batches enter the queue (2 keys per sample);
    * the target momentum follows a cosine from ``momentum`` to ``end_momentum`` over the run
      (:class:`CosineHostStepsEMA`; eztorch ``scheduler_momentum: cosine``, tau 0.99 -> 1); ``end_momentum=None``
      keeps it constant (the model's default in eztorch, 0.999);
    * shuffle-BN is off in the released recipe (``shuffle_bn=False``).

    The target's positive slot gets no mass by default (the paper's equation); the official code puts a
    constant logit 0 there: ``loss=dict(type='SCELoss', compat_zero_logit=True)``.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projector config (eztorch: 3 layers, BN after each, no bias, last BN not affine).
        predictor (dict): Predictor config on the projector's output (eztorch: 2 layers, BN after the first).
        loss (dict | nn.Module, optional): The SCE loss. Defaults to
            ``dict(type='SCELoss', temperature=0.1, temperature_m=0.07, coeff=0.5)``.
        queue_len (int): Number of queued keys ``K``. Defaults to 65536.
        feat_dim (int): Embedding dimension. Defaults to 256.
        momentum (float): Target EMA momentum at the start, MMEngine convention (0.01 is tau 0.99).
            Defaults to 0.01.
        end_momentum (float, optional): Momentum at the last step of the cosine (0 is tau 1); None keeps
            ``momentum`` constant. Defaults to 0.0.
        shuffle_bn (bool): Shuffle the key batch across ranks before the key encoder. Defaults to False.
        symmetric (bool): Both directions, both keys enqueued. Defaults to True.
        **kwargs: :class:`MoCoV2` arguments (``only_filled_queue``, ``pretrained``, ``data_preprocessor``,
            ``init_cfg``).
    """

    default_loss: dict = dict(type='SCELoss', temperature=0.1, temperature_m=0.07, coeff=0.5)

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        predictor: dict,
        loss: Optional[Union[dict, nn.Module]] = None,
        queue_len: int = 65536,
        feat_dim: int = 256,
        momentum: float = 0.01,
        end_momentum: Optional[float] = 0.0,
        shuffle_bn: bool = False,
        symmetric: bool = True,
        **kwargs,
    ) -> None:
        if predictor is None:
            raise ValueError('SCE needs `predictor` (e.g. a 2-layer NonLinearNeck on the projector output).')
        self.end_momentum = end_momentum  # read by build_key_encoder during MoCoV2's construction
        super().__init__(
            backbone=backbone,
            neck=neck,
            loss=loss,
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=momentum,
            shuffle_bn=shuffle_bn,
            symmetric=symmetric,
            **kwargs,
        )
        self.predictor = MODELS.build(predictor)

    def build_key_encoder(self, online: nn.Module, momentum: float) -> HostStepsEMA:
        """The target: a cosine-momentum EMA of ``online`` (constant with ``end_momentum=None``).

        Args:
            online (nn.Module): ``Sequential(backbone, neck)``.
            momentum (float): Starting momentum, MMEngine convention.

        Returns:
            HostStepsEMA: The key encoder.
        """
        if self.end_momentum is None:
            return HostStepsEMA(online, momentum)
        return CosineHostStepsEMA(online, momentum, self.end_momentum)

    def encode_query(self, img: torch.Tensor) -> torch.Tensor:
        """``[B, feat_dim]`` L2-normalised predictions of the online branch (with gradient)."""
        return F.normalize(self.predictor(self.neck(self.backbone(img)))[0], dim=1)
