# Copyright (c) mmssl_ext contributors. All rights reserved.
"""SimCLR with a pluggable ``[B, V, D]`` contrastive loss: the base of batch curation, DCL and SupCon."""

from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from .base import ContrastiveObjectiveMixin

__all__ = ['ContrastiveSimCLR']


@MODELS.register_module()
class ContrastiveSimCLR(ContrastiveObjectiveMixin, BaseSelfSupervisor):
    """A Simple Framework for Contrastive Learning of Visual Representations (SimCLR), arXiv:2002.05709.

    Every view of the batch goes through ``backbone`` and ``neck`` in **one** pass (batch-norm statistics
    over all ``V * B`` images, as in SimCLR and SupContrast); the L2-normalised embeddings, shaped
    ``[B, V, D]``, go to ``loss``: any loss of :mod:`mmssl_ext.models.losses` with that input
    (``NTXentLoss`` NT-Xent, ``DCLLoss`` DCL / DCLW, ``SupConLoss`` SupCon). With
    ``gather_distributed=True`` in the loss, the negatives of every rank are gathered **with**
    gradients (mmpretrain's ``SimCLR`` does not all-reduce the gradient of its gathered features).

    With ``loss=dict(type='NTXentLoss', temperature=t)`` the loss equals mmpretrain's ``SimCLR`` with
    ``ContrastiveHead(temperature=t)`` on the same weights and inputs (test).

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projection head config (``NonLinearNeck`` for SimCLR). Defaults to None.
        head (dict, optional): Not used: an mmpretrain ``ContrastiveHead`` raises a ``ValueError`` that
            points to ``loss`` (its temperature would otherwise be silently ignored). Defaults to None.
        loss (dict | nn.Module): Contrastive loss config or built loss module. Defaults to
            ``dict(type='NTXentLoss', temperature=0.1, gather_distributed=True)``.
        num_views (int): Views per sample the train pipeline must produce. Defaults to 2.
        pretrained (str, optional): Pre-trained checkpoint. Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    default_loss: dict = dict(type='NTXentLoss', temperature=0.1, gather_distributed=True)

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict] = None,
        head: Optional[dict] = None,
        loss: Optional[Union[dict, nn.Module]] = None,
        num_views: int = 2,
        pretrained: Optional[str] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
    ) -> None:
        if neck is None:
            raise ValueError(f'{type(self).__name__} needs a projection head: set `neck` (e.g. NonLinearNeck).')
        if num_views < 2:
            raise ValueError(f'`num_views` must be >= 2 (a contrastive positive needs two views), got {num_views}.')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=None,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.num_views = num_views
        self.loss_module = self.build_objective(head, loss, self.default_loss)

    def project(self, images: torch.Tensor) -> torch.Tensor:
        """``[N, D]`` L2-normalised projections of an image batch (backbone, neck, normalise).

        Args:
            images (torch.Tensor): ``[N, C, H, W]`` images.

        Returns:
            torch.Tensor: Unit-norm embeddings.
        """
        return F.normalize(self.neck(self.backbone(images))[0], dim=1)

    def embed(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Embed all views in one backbone pass.

        Args:
            inputs (list[torch.Tensor]): ``V`` view batches, each ``[B, C, H, W]``.

        Returns:
            torch.Tensor: ``[B, V, D]`` L2-normalised embeddings.
        """
        self.check_views(inputs, self.num_views, same_shape=True)
        batch = inputs[0].shape[0]
        z = self.project(torch.cat(list(inputs), dim=0))
        return z.view(len(inputs), batch, -1).transpose(0, 1)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """Contrastive loss of the ``V`` views.

        Args:
            inputs (list[torch.Tensor]): ``V`` view batches.
            data_samples (list[DataSample]): Unused here (SupCon reads labels from them).
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss``.
        """
        return dict(loss=self.loss_module(self.embed(inputs)))
