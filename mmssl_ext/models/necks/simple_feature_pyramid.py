# Copyright (c) mmssl_ext contributors. All rights reserved.
"""ViTDet's simple feature pyramid: multi-scale maps for detection heads from a plain ViT's last feature map."""

from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmssl_ext.registry import MODELS

__all__ = ['SimpleFeaturePyramid', 'LayerNorm2d']


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of a ``[B, C, H, W]`` map (ViTDet's ``LayerNorm`` for conv features).

    Args:
        channels (int): Channels.
        eps (float): Numerical epsilon. Defaults to 1e-6.
    """

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise every pixel's channel vector."""
        return F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2], self.weight, self.bias, self.eps).permute(0, 3, 1, 2)


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """ViTDet's simple feature pyramid, for transferring APS / MoCo v3 ViTs to Mask R-CNN.

    Li et al., "Exploring Plain Vision Transformer Backbones for Object Detection" (arXiv:2203.16527).

    The last (stride ``patch_size``) map is resampled to each of ``scale_factors`` (4: two stride-2
    deconvolutions with a LayerNorm + GELU between them; 2: one deconvolution; 1: identity; 0.5: max-pool), then
    a 1x1 and a 3x3 convolution, each followed by a channel LayerNorm, give ``out_channels`` maps. With
    ``num_outs`` above ``len(scale_factors)`` the coarsest output is max-pooled again (P6 for the RPN), as
    mmdet's ``FPN(add_extra_convs=False)``.

    Args:
        in_channels (int): Channels of the ViT map.
        out_channels (int): Channels of every output. Defaults to 256.
        scale_factors (Sequence[float]): Resampling factors, fine to coarse. Defaults to (4.0, 2.0, 1.0, 0.5).
        num_outs (int): Outputs (extra ones are pooled). Defaults to 5.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int = 256,
        scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
        num_outs: int = 5,
        init_cfg=None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_outs < len(scale_factors):
            raise ValueError(f'`num_outs` ({num_outs}) must be >= len(scale_factors) ({len(scale_factors)}).')
        self.scale_factors, self.num_outs = tuple(scale_factors), num_outs
        self.stages = nn.ModuleList()
        for scale in self.scale_factors:
            self.stages.append(self._stage(in_channels, out_channels, scale))

    @staticmethod
    def _stage(in_channels: int, out_channels: int, scale: float) -> nn.Sequential:
        dim = in_channels
        if scale == 4.0:
            layers: List[nn.Module] = [
                nn.ConvTranspose2d(dim, dim // 2, 2, stride=2),
                LayerNorm2d(dim // 2),
                nn.GELU(),
                nn.ConvTranspose2d(dim // 2, dim // 4, 2, stride=2),
            ]
            dim //= 4
        elif scale == 2.0:
            layers = [nn.ConvTranspose2d(dim, dim // 2, 2, stride=2)]
            dim //= 2
        elif scale == 1.0:
            layers = []
        elif scale == 0.5:
            layers = [nn.MaxPool2d(2, stride=2)]
        else:
            raise ValueError(f'`scale_factors` entries must be 4.0, 2.0, 1.0 or 0.5, got {scale}.')
        layers += [
            nn.Conv2d(dim, out_channels, 1, bias=False),
            LayerNorm2d(out_channels),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            LayerNorm2d(out_channels),
        ]
        return nn.Sequential(*layers)

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Pyramid from the last backbone map.

        Args:
            inputs (Sequence[torch.Tensor]): Backbone outputs; the last one, ``[B, C, H, W]``, is used.

        Returns:
            tuple[torch.Tensor]: ``num_outs`` maps, fine to coarse.
        """
        x = inputs[-1]
        if x.dim() != 4:
            raise ValueError(f"SimpleFeaturePyramid needs a [B, C, H, W] map (ViT out_type='featmap'), got {x.shape}.")
        outs = [stage(x) for stage in self.stages]
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)
