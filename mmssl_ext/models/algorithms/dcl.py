# Copyright (c) mmssl_ext contributors. All rights reserved.
"""DCL / DCLW: SimCLR with the decoupled contrastive loss."""

from typing import List, Optional, Union

from mmssl_ext.registry import MODELS

from ..losses import DCLLoss
from .contrastive_simclr import ContrastiveSimCLR

__all__ = ['DCL']


@MODELS.register_module()
class DCL(ContrastiveSimCLR):
    """Decoupled Contrastive Learning (DCL / DCLW), Yeh et al., arXiv:2110.06848 (ECCV 2022).

    SimCLR (:class:`ContrastiveSimCLR`: one backbone pass over both views, projector, normalise) whose
    loss is :class:`DCLLoss`: the positive pair leaves the NT-Xent denominator; with
    ``weight_fn='vmf'`` (DCLW) the positive term is weighted by ``w_i = 2 - N * softmax_i(s_i / sigma)``,
    detached, over the (gathered) batch.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projection head config. Defaults to None.
        loss (dict): A :class:`DCLLoss` config. Defaults to
            ``dict(type='DCLLoss', temperature=0.1, gather_distributed=True)``.
        **kwargs: :class:`ContrastiveSimCLR` arguments.
    """

    default_loss: dict = dict(type='DCLLoss', temperature=0.1, gather_distributed=True)

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict] = None,
        loss: Optional[Union[dict, DCLLoss]] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, neck=neck, loss=loss, init_cfg=init_cfg, **kwargs)
        if not isinstance(self.loss_module, DCLLoss):
            raise ValueError(
                f"DCL needs `loss=dict(type='DCLLoss', ...)`, got {type(self.loss_module).__name__}; "
                'use ContrastiveSimCLR for other losses.'
            )
