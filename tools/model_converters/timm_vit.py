# Copyright (c) mmssl_ext contributors. All rights reserved.
"""ViT weights (mmpretrain ``VisionTransformer``, mmssl_ext ``APSViT``) in timm's ``vit_*`` layout.

The ViT half of ``convert_to_timm.py`` (its module docstring lists the key mapping and the settings carried over):
the backbone is rebuilt from its config, the checkpoint checked against it, and the keys renamed.
"""

import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

if TYPE_CHECKING:
    from mmpretrain.models.backbones import VisionTransformer

__all__ = ['TIMM_LN_EPS', 'timm_vit_key', 'vit_to_timm']


def _shown(keys: List[str], count: int = 8) -> str:
    return f"{keys[:count]}{' ...' if len(keys) > count else ''}"


#: eps of timm's ``LayerNorm``, the ViTs' default ``norm_layer``
TIMM_LN_EPS = 1e-6

#: timm ViT names by (embed_dim, depth, num_heads); the printed call passes every architecture argument anyway
_TIMM_VITS = {
    (192, 12, 3): 'vit_tiny_patch16_224',
    (384, 12, 6): 'vit_small_patch16_224',
    (768, 12, 12): 'vit_base_patch16_224',
    (1024, 24, 16): 'vit_large_patch16_224',
    (1280, 32, 16): 'vit_huge_patch14_224',
}

#: mmpretrain ``TransformerEncoderLayer`` parameter -> timm ``Block`` parameter
_BLOCK_KEYS = {
    'ln1.weight': 'norm1.weight',
    'ln1.bias': 'norm1.bias',
    'attn.qkv.weight': 'attn.qkv.weight',
    'attn.qkv.bias': 'attn.qkv.bias',
    'attn.proj.weight': 'attn.proj.weight',
    'attn.proj.bias': 'attn.proj.bias',
    'attn.gamma1.weight': 'ls1.gamma',
    'ln2.weight': 'norm2.weight',
    'ln2.bias': 'norm2.bias',
    'ffn.layers.0.0.weight': 'mlp.fc1.weight',
    'ffn.layers.0.0.bias': 'mlp.fc1.bias',
    'ffn.layers.1.weight': 'mlp.fc2.weight',
    'ffn.layers.1.bias': 'mlp.fc2.bias',
    'ffn.gamma2.weight': 'ls2.gamma',
}

#: mmpretrain ``VisionTransformer`` parameter outside the blocks -> timm ``VisionTransformer`` parameter
_TOP_KEYS = {
    'cls_token': 'cls_token',
    'pos_embed': 'pos_embed',
    'patch_embed.projection.weight': 'patch_embed.proj.weight',
    'patch_embed.projection.bias': 'patch_embed.proj.bias',
    'pre_norm.weight': 'norm_pre.weight',
    'pre_norm.bias': 'norm_pre.bias',
    'ln1.weight': 'norm.weight',
    'ln1.bias': 'norm.bias',
    'ln2.weight': 'fc_norm.weight',
    'ln2.bias': 'fc_norm.bias',
}


def timm_vit_key(key: str) -> str:
    """The timm ``VisionTransformer`` name of an mmpretrain ``VisionTransformer`` parameter.

    Args:
        key (str): mmpretrain name (no prefix), e.g. ``'layers.3.ffn.layers.0.0.weight'``.

    Returns:
        str: timm name, e.g. ``'blocks.3.mlp.fc1.weight'``.

    Raises:
        ValueError: The key has no timm counterpart.
    """
    if key in _TOP_KEYS:
        return _TOP_KEYS[key]
    match = re.fullmatch(r'layers\.(\d+)\.(.+)', key)
    if match and match.group(2) in _BLOCK_KEYS:
        return f'blocks.{match.group(1)}.{_BLOCK_KEYS[match.group(2)]}'
    raise ValueError(f'ViT key {key!r} has no timm counterpart')


def _build_vit(backbone_cfg: dict) -> 'VisionTransformer':
    from mmpretrain.models.backbones import VisionTransformer

    from mmssl_ext.registry import MODELS
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = dict(backbone_cfg)
    cfg.pop('init_cfg', None)  # nothing is loaded: the module only tells the architecture
    backbone = MODELS.build(cfg)
    if not isinstance(backbone, VisionTransformer):
        raise ValueError(
            f"the config's backbone is {type(backbone).__name__}, the weights are a ViT's (mmpretrain "
            'VisionTransformer or APSViT expected)'
        )
    return backbone


def _check_fits(backbone: nn.Module, state: Dict[str, torch.Tensor]) -> None:
    expected = {k: tuple(v.shape) for k, v in backbone.state_dict().items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f'{k} {tuple(state[k].shape)} != {s}' for k, s in expected.items() if k in state and state[k].shape != s]
    if missing or unexpected or wrong:
        raise ValueError(
            f"the weights do not fit the config's backbone: missing {_shown(missing)}, unexpected "
            f'{_shown(unexpected)}, shape mismatches {_shown(wrong, 4)}'
        )


def _vit_layout(backbone: 'VisionTransformer') -> Tuple[float, int, int]:
    """LayerNorm eps, heads and MLP width of a built ViT; refuses norms and activations timm's ``Block`` lacks."""
    first = backbone.layers[0]
    norms = [m for layer in backbone.layers for m in (layer.ln1, layer.ln2)]
    for name in ('ln1', 'ln2', 'pre_norm'):  # final norm, avg_featmap norm, pre-norm, where the backbone has them
        module = getattr(backbone, name, None)
        if isinstance(module, nn.Module) and not isinstance(module, nn.Identity):
            norms.append(module)
    odd = sorted({type(m).__name__ for m in norms if type(m) is not nn.LayerNorm})
    if odd:
        raise ValueError(f'norm layers {odd}: timm ViTs take nn.LayerNorm')
    eps = {m.eps for m in norms}
    if len(eps) != 1 or not all(m.elementwise_affine for m in norms):
        raise ValueError(f'LayerNorms with eps {sorted(eps)} or without affine parameters: timm uses one norm_layer')
    try:
        fc1, act = first.ffn.layers[0][0], first.ffn.layers[0][1]
    except (AttributeError, IndexError, TypeError) as err:
        raise ValueError(f'FFN {type(first.ffn).__name__}: timm ViTs take the fc1-GELU-fc2 MLP') from err
    if not isinstance(act, nn.GELU) or act.approximate != 'none':
        raise ValueError(f'FFN activation {act}: timm ViTs take nn.GELU()')
    return eps.pop(), int(first.attn.num_heads), int(fc1.out_features)


def vit_to_timm(
    state: Dict[str, torch.Tensor], backbone_cfg: Optional[dict]
) -> Tuple[Dict[str, torch.Tensor], Dict[str, Any], str]:
    """The timm ``VisionTransformer`` weights of an mmpretrain ViT / APSViT backbone, and the timm arguments.

    Args:
        state (dict): Backbone weights without prefix.
        backbone_cfg (dict, optional): The backbone's config (heads, eps, ``out_type`` and ``cls_pos_embed`` are
            not in the weights). Defaults to None (refused).

    Returns:
        tuple: The state dict, the ``create_model`` arguments (``model_name`` included) and which timm output
        equals the backbone's output.

    Raises:
        ValueError: No config, weights that do not fit it, or a layout timm's ViT does not have.
    """
    if backbone_cfg is None:
        raise ValueError(
            "a ViT's num_heads, LayerNorm eps, out_type and cls_pos_embed are not in its weights and the checkpoint "
            'embeds no config (meta.cfg): pass --config (the config it was trained with)'
        )
    backbone = _build_vit(backbone_cfg)
    _check_fits(backbone, state)
    eps, num_heads, hidden = _vit_layout(backbone)
    embed_dim, depth = int(backbone.embed_dims), int(backbone.num_layers)
    proj = backbone.patch_embed.projection
    patch = tuple(int(p) for p in proj.kernel_size)
    img = tuple(int(s) for s in backbone.img_size)
    grid = tuple(int(g) for g in backbone.patch_resolution)
    if tuple(proj.stride) != patch or any(g * p != s for g, p, s in zip(grid, patch, img)):
        raise ValueError(f'img_size {img} is not patch_size {patch} x a {grid} grid of non-overlapping patches')
    if getattr(backbone.patch_embed, 'norm', None) is not None:
        raise ValueError('patch_embed has a norm layer: timm ViTs here have none')
    out_type, final_norm = backbone.out_type, bool(backbone.final_norm)
    if out_type == 'avg_featmap' and final_norm:
        raise ValueError(
            "out_type='avg_featmap' with final_norm=True normalises the tokens (ln1) and the pooled feature (ln2): "
            'timm applies one of norm (tokens) and fc_norm (pooled)'
        )
    class_token = backbone.cls_token is not None
    no_embed_class = class_token and not getattr(backbone, 'cls_pos_embed', True)
    global_pool = {'cls_token': 'token', 'avg_featmap': 'avg'}.get(out_type, '')
    spec: Dict[str, Any] = {
        'model_name': _TIMM_VITS.get((embed_dim, depth, num_heads), 'vit_base_patch16_224'),
        'embed_dim': embed_dim,
        'depth': depth,
        'num_heads': num_heads,
        'patch_size': patch[0] if patch[0] == patch[1] else list(patch),
        'img_size': img[0] if img[0] == img[1] else list(img),
        'mlp_ratio': hidden / embed_dim,
        'qkv_bias': backbone.layers[0].attn.qkv.bias is not None,
        'class_token': class_token,
        'no_embed_class': no_embed_class,
        'global_pool': global_pool,
        'final_norm': final_norm or out_type == 'avg_featmap',
        'num_classes': 0,
    }
    if int(embed_dim * spec['mlp_ratio']) != hidden:
        raise ValueError(f'MLP width {hidden} is not int(embed_dim * mlp_ratio) for embed_dim {embed_dim}')
    if out_type == 'avg_featmap':
        spec['fc_norm'] = True  # mmpretrain's ln2, after the pooling
    if isinstance(backbone.pre_norm, nn.LayerNorm):
        spec['pre_norm'] = True
    if 'layers.0.attn.gamma1.weight' in state:
        spec['init_values'] = float(backbone_cfg.get('layer_scale_init_value', 1.0))
    if int(proj.in_channels) != 3:
        spec['in_chans'] = int(proj.in_channels)
    if eps != TIMM_LN_EPS:
        spec['norm_eps'] = eps
    out = OrderedDict()
    for key, value in state.items():
        value = value.detach().clone()
        if key == 'pos_embed' and no_embed_class:
            value = value[:, backbone.num_extra_tokens :].clone()  # the cls slot APSViT leaves unused
        out[timm_vit_key(key)] = value
    pooled = 'model(x) (forward_head(forward_features(x), pre_logits=True))'
    prefix_tokens = 1 if class_token else 0
    output = {
        'cls_token': pooled,
        'avg_featmap': pooled,
        'featmap': f'model.forward_features(x)[:, {prefix_tokens}:] reshaped to {grid}',
        'raw': 'model.forward_features(x)',
    }[out_type] + f" is the backbone's out_type={out_type!r} output"
    return out, spec, output
