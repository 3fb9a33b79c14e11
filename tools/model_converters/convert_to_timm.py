# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Convert a pre-trained ResNet or ViT backbone to the state dict of a timm model.

``python tools/model_converters/convert_to_timm.py IN.pth OUT.pth [--config CFG] [--arch-json OUT.json] [--cifar-stem]``

``IN.pth`` is a full mmssl_ext checkpoint (its ``backbone.`` weights are taken, the rest dropped) or an extracted
backbone file. ``OUT.pth`` is a plain state dict; the converter prints the Python lines that build the timm model
it loads into with ``strict=True`` (``num_classes=0``: no classifier), and, when timm is installed, checks that load.

* mmpretrain ``ResNet`` (``style='pytorch'``): the key names are timm's ``resnet{18,34,50,101,152}`` ones already
  (both follow torchvision); ``model.forward_features(x)`` is the backbone's last-stage map. The CIFAR stem
  (``ResNet_CIFAR``: 3x3 stride-1 ``conv1``, no max-pool) is no timm option: it is refused unless ``--cifar-stem``,
  which converts it for a timm ``resnet*`` whose ``conv1`` and ``maxpool`` are replaced after
  ``create_model`` (the printed lines do it). ``style='caffe'`` weights have the same shapes: the converter takes
  them as ``'pytorch'`` (every mmssl_ext ResNet config) unless the config says otherwise.
* mmpretrain ``VisionTransformer`` and mmssl_ext's ``APSViT``: ``layers.N`` -> ``blocks.N`` (``ln1`` -> ``norm1``,
  ``ffn.layers.0.0`` / ``ffn.layers.1`` -> ``mlp.fc1`` / ``mlp.fc2``, ...), ``patch_embed.projection`` ->
  ``patch_embed.proj``, final ``ln1`` -> ``norm``. The number of heads, the LayerNorm eps, ``out_type`` and APS's
  ``cls_pos_embed`` are not in the weights, so a ViT needs its config: ``--config``, or the one a full checkpoint
  embeds (``meta.cfg``, written by MMEngine's runner). ``out_type='cls_token'`` becomes ``global_pool='token'``,
  ``'avg_featmap'`` (``final_norm=False``; its ``ln2`` after the pooling) ``global_pool='avg'`` with ``fc_norm``;
  ``cls_pos_embed=False`` (no position embedding on the cls token) becomes ``no_embed_class=True``.

``--arch-json`` writes the ``timm.create_model`` keyword arguments, ``model_name`` included, as JSON; two keys are
not timm's and make a bare ``timm.create_model(**spec)`` fail rather than build another model: ``norm_eps`` (a
LayerNorm eps other than timm's 1e-6: pass ``norm_layer=functools.partial(torch.nn.LayerNorm, eps=norm_eps)``) and
``cifar_stem``. :func:`create_timm_model` applies both.
"""

import argparse
import functools
import json
import os.path as osp
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.models.utils.checked_pretrained import PretrainedKeysError, select_state_dict  # noqa: E402
from mmssl_ext.utils import safe_torch_load  # noqa: E402
from tools.model_converters.resnet_keys import resnet_depth  # noqa: E402
from tools.model_converters.timm_vit import TIMM_LN_EPS, timm_vit_key, vit_to_timm  # noqa: E402

__all__ = [
    'TIMM_LN_EPS',
    'create_timm_model',
    'load_backbone',
    'resnet_to_timm',
    'timm_snippet',
    'timm_vit_key',
    'vit_to_timm',
]

_MODULE_KEYS = ['conv1.weight', 'bn1.weight', 'patch_embed.projection.weight', 'cls_token', 'pos_embed']


def _shown(keys: List[str], count: int = 8) -> str:
    return f"{keys[:count]}{' ...' if len(keys) > count else ''}"


def load_backbone(path: str, prefix: str = 'backbone.') -> Tuple[Dict[str, torch.Tensor], Optional[str]]:
    """The backbone weights of a full mmssl_ext checkpoint or of an extracted backbone file, and its config text.

    Args:
        path (str): Checkpoint file.
        prefix (str): Backbone prefix in a full checkpoint. Defaults to 'backbone.'.

    Returns:
        tuple: The weights without prefix (tensors only) and the config the checkpoint embeds (``meta.cfg``, the
        text MMEngine's runner writes), or None.

    Raises:
        PretrainedKeysError: No key has ``prefix`` and none is a ResNet's or a ViT's.
    """
    ckpt = safe_torch_load(path, map_location='cpu')
    state = select_state_dict(ckpt, prefix, _MODULE_KEYS, source=path)
    state = OrderedDict((k, v) for k, v in state.items() if isinstance(v, torch.Tensor))
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    cfg_text = meta.get('cfg') if isinstance(meta, dict) else None
    return state, cfg_text if isinstance(cfg_text, str) else None


def _backbone_cfg(config: Optional[str], cfg_text: Optional[str]) -> Optional[dict]:
    """``model.backbone`` of the ``--config`` file, else of the checkpoint's embedded config, else None."""
    if config is None and cfg_text is None:
        return None
    from mmengine import Config

    if config is not None:
        cfg, source = Config.fromfile(config), config
    else:
        try:
            cfg, source = Config.fromstring(cfg_text, file_format='.py'), "the checkpoint's meta.cfg"
        except Exception as err:  # a config text that no longer parses (moved custom imports, ...)
            raise ValueError(f"the checkpoint's meta.cfg does not parse ({err}): pass --config") from err
    backbone = cfg.get('model', {}).get('backbone')
    if not isinstance(backbone, dict) or 'type' not in backbone:
        raise ValueError(f'{source} has no model.backbone with a type')
    return backbone


def resnet_to_timm(
    state: Dict[str, torch.Tensor], cifar_stem: bool = False, backbone_cfg: Optional[dict] = None
) -> Tuple[Dict[str, torch.Tensor], Dict[str, Any]]:
    """The timm ``resnet*`` weights of an mmpretrain ResNet backbone, and the timm model's arguments.

    Args:
        state (dict): Backbone weights without prefix.
        cifar_stem (bool): Accept the CIFAR stem (3x3 stride-1 ``conv1``, no max-pool) for a timm ``resnet*``
            whose ``conv1`` and ``maxpool`` are replaced (``cifar_stem`` in the arguments). Defaults to False.
        backbone_cfg (dict, optional): The backbone's config, to check its ``style``. Defaults to None.

    Returns:
        tuple: The state dict and the ``create_model`` arguments (``model_name`` included).

    Raises:
        ValueError: The layout has no timm ``resnet*`` counterpart.
    """
    if backbone_cfg is not None and backbone_cfg.get('style', 'pytorch') != 'pytorch':
        raise ValueError(
            f"backbone style={backbone_cfg['style']!r}: timm's resnet* (as torchvision) have the stride in the 3x3 "
            "conv, style='pytorch'"
        )
    if any(k.startswith('stem.') for k in state):
        raise ValueError("deep-stem ResNet (stem.* keys, ResNetV1c/d): not converted; timm's resnet* need conv1")
    avg_down = [k for k in state if '.downsample.2.' in k]
    if avg_down:
        raise ValueError(f'avg_down shortcuts ({avg_down[0]}, ...): timm resnet* shortcuts are downsample.0 / .1')
    conv1 = state.get('conv1.weight')
    stem = tuple(conv1.shape) if conv1 is not None else ()
    is_cifar = stem[1:] == (3, 3, 3)
    if is_cifar and not cifar_stem:
        raise ValueError(
            f'conv1.weight has shape {stem}: the CIFAR stem (3x3 stride-1 conv1, no max-pool, ResNet_CIFAR) is not '
            "a timm option (timm's resnet* have a 7x7 stride-2 conv1 and a max-pool): pass --cifar-stem to convert "
            'it for a timm resnet* with conv1 and maxpool replaced after create_model (printed), or keep the '
            'mmpretrain weights for ResNet_CIFAR (extract_backbone_weights.py)'
        )
    probe = dict(state)
    if is_cifar:  # resnet_depth checks a 7x7 stem; a shape-only stand-in lets it check the rest of the layout
        probe['conv1.weight'] = torch.empty((stem[0], 3, 7, 7), device='meta')
    depth, _ = resnet_depth(probe)
    width = state['layer1.0.conv1.weight'].shape[0]
    if width != 64:
        raise ValueError(f'layer1.0.conv1.weight has {width} output channels: timm resnet* have base width 64')
    spec: Dict[str, Any] = {'model_name': f'resnet{depth}', 'num_classes': 0}
    if state['conv1.weight'].shape[0] != 64:
        spec['stem_width'] = int(state['conv1.weight'].shape[0])
    if is_cifar:
        spec['cifar_stem'] = True
    return OrderedDict((k, v.detach().clone()) for k, v in state.items()), spec


def create_timm_model(spec: Dict[str, Any]) -> nn.Module:
    """Build the timm model of converted weights from the ``--arch-json`` arguments.

    Args:
        spec (dict): ``create_model`` arguments with ``model_name``, plus ``norm_eps`` / ``cifar_stem`` if any.

    Returns:
        torch.nn.Module: The timm model (random weights).
    """
    import timm

    kwargs = dict(spec)
    eps = kwargs.pop('norm_eps', None)
    cifar_stem = kwargs.pop('cifar_stem', False)
    if eps is not None:
        kwargs['norm_layer'] = functools.partial(nn.LayerNorm, eps=eps)
    model: Any = timm.create_model(**kwargs)  # a timm ResNet / VisionTransformer
    if cifar_stem:
        model.conv1 = nn.Conv2d(3, model.conv1.out_channels, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    return model


def timm_snippet(spec: Dict[str, Any], weights: str) -> List[str]:
    """Python lines that build the timm model of ``spec`` and load ``weights`` into it with ``strict=True``.

    Args:
        spec (dict): ``create_model`` arguments with ``model_name``, plus ``norm_eps`` / ``cifar_stem`` if any.
        weights (str): The converted state dict file.

    Returns:
        list[str]: The lines (they define ``model``).
    """
    kwargs = dict(spec)
    name = kwargs.pop('model_name')
    eps = kwargs.pop('norm_eps', None)
    cifar_stem = kwargs.pop('cifar_stem', False)
    args = [repr(name)] + [f'{k}={v!r}' for k, v in kwargs.items()]
    if eps is not None:
        args.append(f'norm_layer=functools.partial(torch.nn.LayerNorm, eps={eps!r})')
    lines = ['import functools, timm, torch' if eps is not None else 'import timm, torch']
    lines.append(f"model = timm.create_model({', '.join(args)})")
    if cifar_stem:
        lines.append(
            'model.conv1 = torch.nn.Conv2d(3, model.conv1.out_channels, kernel_size=3, stride=1, padding=1, '
            'bias=False)'
        )
        lines.append('model.maxpool = torch.nn.Identity()')
    lines.append(f'model.load_state_dict(torch.load({weights!r}), strict=True)')
    return lines


def _check_with_timm(state: Dict[str, torch.Tensor], spec: Dict[str, Any]) -> str:
    try:
        import timm
    except ImportError:
        return 'timm is not installed here: the strict load was not checked'
    try:
        create_timm_model(spec).load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f'timm {timm.__version__} refuses the converted weights: {err}') from err
    return f'checked: the weights load with strict=True into timm {timm.__version__}'


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status (0: written, 1: the backbone does not convert, reason on stderr)."""
    parser = argparse.ArgumentParser(description='Convert a ResNet or ViT backbone to a timm model state dict')
    parser.add_argument('checkpoint', help='full mmssl_ext checkpoint or extracted backbone file')
    parser.add_argument('output', help='output .pth (a plain state dict)')
    parser.add_argument('--prefix', default='backbone.', help='backbone prefix in a full checkpoint')
    parser.add_argument('--config', help="config with the backbone's model.backbone (default: the checkpoint's)")
    parser.add_argument('--arch-json', help='also write the timm.create_model arguments to this JSON file')
    parser.add_argument('--cifar-stem', action='store_true', help='convert a CIFAR-stem ResNet (timm stem replaced)')
    args = parser.parse_args(argv)
    try:
        state, cfg_text = load_backbone(args.checkpoint, args.prefix)
        backbone_cfg = _backbone_cfg(args.config, cfg_text)
        if 'patch_embed.projection.weight' in state:
            out, spec, output = vit_to_timm(state, backbone_cfg)
        elif 'conv1.weight' in state or any(k.startswith('stem.') for k in state):
            out, spec = resnet_to_timm(state, args.cifar_stem, backbone_cfg)
            output = "model.forward_features(x) is the backbone's last-stage map"
        else:
            raise ValueError(
                f'{args.checkpoint}: the weights are neither a ResNet (conv1.weight) nor a ViT '
                f'(patch_embed.projection.weight); keys: {_shown(list(state))}'
            )
        checked = _check_with_timm(out, spec)
    except (ValueError, PretrainedKeysError) as err:
        print(f'convert_to_timm: {err}', file=sys.stderr)
        return 1
    torch.save(out, args.output)
    print(f"wrote timm {spec['model_name']} weights ({len(out)} tensors, no classifier) to {args.output}; load with:")
    for line in timm_snippet(spec, args.output):
        print(f'    {line}')
    print(f'{output}; {checked}')
    if args.arch_json:
        with open(args.arch_json, 'w') as f:
            json.dump(spec, f, indent=2)
        print(f'wrote the create_model arguments to {args.arch_json} (create_timm_model of this converter reads them)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
