# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Vision Transformer that encodes a per-sample subset of its patch tokens (APS)."""

from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed

from mmssl_ext.registry import MODELS
from mmssl_ext.utils.config import PRETRAINED_INIT_TYPES

__all__ = ['APSViT']


@MODELS.register_module()
class APSViT(VisionTransformer):
    """mmpretrain's ``VisionTransformer`` with a ``token_idx`` input, for Asymmetric Patch Sampling (arXiv:2306.02854).

    ``forward(x, token_idx)`` embeds the patches, adds the position embedding, then keeps for sample ``b`` only the
    tokens ``token_idx[b]`` (``[B, n]`` row-major patch ids) before the cls token and the transformer blocks, as the
    official ``module/model.py``; without ``token_idx`` every token is used (fine-tuning, evaluation). With
    ``cls_pos_embed=False`` (the official CIFAR model) the cls token gets no position embedding: the cls slot of
    mmpretrain's ``pos_embed`` is left unused.

    With ``official_init`` the weights start as the official model's: the cls token (as the position embedding)
    trunc-normal with std 0.02, and every ``Linear`` and ``Conv2d`` at PyTorch's default initialisation (the
    official model builds timm ``Block`` s and a ``Conv2d`` patchify without re-initialising them), instead of
    mmpretrain's zero cls token, Xavier FFN weights with near-zero biases and Kaiming patch embedding. The official
    LayerNorms (``nn.LayerNorm``, eps 1e-5) are set by the config's ``norm_cfg``. Nothing is re-initialised when
    the backbone loads pretrained weights.

    Args:
        cls_pos_embed (bool): Add the position embedding's cls slot to the cls token. Defaults to True.
        official_init (bool): Initialise as the official APS model (see above). Defaults to False.
        **kwargs: :class:`mmpretrain.models.backbones.VisionTransformer` arguments (``arch``, ``img_size``,
            ``patch_size``, ``qkv_bias``, ``out_type``, ...).
    """

    def __init__(self, cls_pos_embed: bool = True, official_init: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.cls_token is None:
            raise ValueError('APSViT needs the cls token (with_cls_token=True): the APS heads read it.')
        self.cls_pos_embed = cls_pos_embed
        self.official_init = official_init

    def init_weights(self) -> None:
        """Initialise as mmpretrain, then as the official APS model when ``official_init`` (unless pretrained).

        mmpretrain's ``VisionTransformer.init_weights`` re-draws ``pos_embed`` after loading unless the init type is
        exactly ``'Pretrained'``; here every checkpoint-loading type counts (``CheckedPretrained``, the name mmdet
        configs use, and ``mmengine.Pretrained``), so a loaded position embedding is kept.
        """
        init_cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        pretrained = any(
            isinstance(c, dict) and str(c.get('type', '')).split('.')[-1] in PRETRAINED_INIT_TYPES for c in init_cfgs
        )
        super(VisionTransformer, self).init_weights()  # what VisionTransformer.init_weights runs first
        if pretrained:
            return
        if self.pos_embed is not None:  # VisionTransformer's own initialisation of it
            trunc_normal_(self.pos_embed, std=0.02)
        if not self.official_init:
            return
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                module.reset_parameters()
        trunc_normal_(self.cls_token, std=0.02)

    def embed_tokens(self, x: torch.Tensor, token_idx: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, tuple]:
        """Patch tokens plus position embedding (optionally gathered), with the cls token prepended.

        Args:
            x (torch.Tensor): ``[B, C, H, W]`` images.
            token_idx (torch.Tensor, optional): ``[B, n]`` patch ids to keep. Defaults to None (all).

        Returns:
            tuple: ``[B, 1 + n, C]`` tokens and the patch resolution.
        """
        batch = x.shape[0]
        x, patch_resolution = self.patch_embed(x)
        pos = resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens,
        )
        x = x + pos[:, self.num_extra_tokens :]
        if token_idx is not None:
            num_patches = x.shape[1]
            if token_idx.dim() != 2 or token_idx.shape[0] != batch:
                raise ValueError(f'`token_idx` must be [B={batch}, n], got {tuple(token_idx.shape)}.')
            if token_idx.numel() and (int(token_idx.min()) < 0 or int(token_idx.max()) >= num_patches):
                raise ValueError(f'`token_idx` must hold patch ids in [0, {num_patches}).')
            index = token_idx.long().unsqueeze(-1).expand(-1, -1, x.shape[-1])
            x = torch.gather(x, 1, index)
        cls_token = self.cls_token.expand(batch, -1, -1)
        if self.cls_pos_embed:
            cls_token = cls_token + pos[:, : self.num_extra_tokens]
        return torch.cat((cls_token, x), dim=1), patch_resolution

    def forward(self, x: torch.Tensor, token_idx: Optional[torch.Tensor] = None) -> tuple:
        """Encode all tokens, or the ``token_idx`` subset of each sample.

        Args:
            x (torch.Tensor): ``[B, C, H, W]`` images.
            token_idx (torch.Tensor, optional): ``[B, n]`` patch ids. Defaults to None (all tokens).

        Returns:
            tuple: One output per ``out_indices`` entry, formatted by ``out_type`` (a subset of tokens has no
            feature map: ``out_type`` must then be ``'cls_token'``, ``'raw'`` or ``'avg_featmap'``).
        """
        if token_idx is not None and self.out_type == 'featmap':
            raise ValueError("A token subset has no feature map: use out_type='cls_token', 'raw' or 'avg_featmap'.")
        x, patch_resolution = self.embed_tokens(x, token_idx)
        x = self.pre_norm(self.drop_after_pos(x))
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))
        return tuple(outs)
