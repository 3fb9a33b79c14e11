# Copyright (c) mmssl_ext contributors. All rights reserved.
"""APS head: a predictor and the symmetric, un-scaled MoCo v3 cross-entropy."""

from typing import Optional, Union

import torch
from mmengine.model import BaseModule

from mmssl_ext.registry import MODELS

__all__ = ['APSHead']


@MODELS.register_module()
class APSHead(BaseModule):
    """Predictor + symmetric loss of Asymmetric Patch Sampling, Shen et al., arXiv:2306.02854.

    ``loss(z1, z2) = L(pred(z1), sg(z2)) + L(pred(z2), sg(z1))`` with ``L`` an :class:`APSLoss` (cross-entropy over
    the all-gathered targets, temperature 0.1, no ``2 * T`` factor): the two directions are summed, as in the
    official ``main_pretrain.py``. One shared encoder produces both ``z`` (no momentum encoder).

    Args:
        predictor (dict): Predictor config, e.g. a 3-layer ``NonLinearNeck`` 128-512-512-128 without bias, ending
            in a BatchNorm without affine parameters.
        loss (dict | nn.Module): The one-direction loss. Defaults to ``dict(type='APSLoss', temperature=0.1)``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        predictor: dict,
        loss: Optional[Union[dict, torch.nn.Module]] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.predictor = MODELS.build(predictor)
        loss = dict(type='APSLoss', temperature=0.1) if loss is None else loss
        self.loss_module = MODELS.build(loss) if isinstance(loss, dict) else loss

    def predict_from(self, z: torch.Tensor) -> torch.Tensor:
        """Predictor output of ``[N, D]`` projections (necks take and return tuples)."""
        out = self.predictor([z])
        return out[0] if isinstance(out, (tuple, list)) else out

    def loss(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Symmetric loss of the two views' projections.

        Args:
            z1 (torch.Tensor): ``[N, D]`` projections of view 1.
            z2 (torch.Tensor): ``[N, D]`` projections of view 2.

        Returns:
            torch.Tensor: ``L(p1, z2) + L(p2, z1)``.
        """
        p1, p2 = self.predict_from(z1), self.predict_from(z2)
        return self.loss_module(p1, z2) + self.loss_module(p2, z1)
