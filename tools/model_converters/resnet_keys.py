# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Shared by the ResNet converters: load a ResNet backbone from a checkpoint and check its layout.

mmpretrain / mmdet ``ResNet`` (``style='pytorch'``) and torchvision's ``resnet*`` use the same key names
(``conv1``, ``bn1``, ``layerN.M.{conv,bn}K``, ``layerN.0.downsample.{0,1}``); torchvision adds ``fc``. What does
not convert: the CIFAR stem (3x3 ``conv1``), the deep stem (``stem.*`` of ResNetV1c/d), extra layers.
"""

import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, Tuple

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.models.utils.checked_pretrained import select_state_dict  # noqa: E402
from mmssl_ext.utils import safe_torch_load  # noqa: E402

__all__ = ['DEPTHS', 'load_resnet_backbone', 'resnet_depth']

#: (bottleneck, blocks per stage) -> depth
DEPTHS = {
    (False, (2, 2, 2, 2)): 18,
    (False, (3, 4, 6, 3)): 34,
    (True, (3, 4, 6, 3)): 50,
    (True, (3, 4, 23, 3)): 101,
    (True, (3, 8, 36, 3)): 152,
}


def resnet_depth(state: Dict[str, torch.Tensor]) -> Tuple[int, bool]:
    """Depth and block type of a ResNet state dict in the torchvision / mmpretrain layout.

    Args:
        state (dict): Backbone weights (no prefix).

    Returns:
        tuple[int, bool]: The depth and whether the blocks are bottlenecks.

    Raises:
        ValueError: The weights are not a 4-stage ResNet with a 7x7 stem in that layout.
    """
    if any(k.startswith('stem.') for k in state):
        raise ValueError('deep-stem ResNet (stem.* keys, ResNetV1c/d): torchvision / detectron2 R50 have a 7x7 stem')
    conv1 = state.get('conv1.weight')
    if conv1 is None:
        raise ValueError(f'no conv1.weight: not a ResNet backbone in the mmpretrain layout (keys: {list(state)[:6]})')
    if tuple(conv1.shape[1:]) != (3, 7, 7):
        raise ValueError(
            f'conv1.weight has shape {tuple(conv1.shape)}: the CIFAR stem (3x3, stride 1, no max-pool) has no '
            'torchvision / detectron2 counterpart, which expect a 7x7 stride-2 stem'
        )
    blocks = []
    for stage in range(1, 5):
        ids = {int(k.split('.')[1]) for k in state if k.startswith(f'layer{stage}.')}
        if not ids or ids != set(range(len(ids))):
            raise ValueError(f'layer{stage} blocks are {sorted(ids)}: expected 4 stages of consecutive blocks')
        blocks.append(len(ids))
    bottleneck = 'layer1.0.conv3.weight' in state
    depth = DEPTHS.get((bottleneck, tuple(blocks)))
    if depth is None:
        raise ValueError(f'unknown ResNet layout: bottleneck={bottleneck}, blocks {blocks}')
    return depth, bottleneck


def load_resnet_backbone(path: str, prefix: str = 'backbone.') -> Dict[str, torch.Tensor]:
    """The ResNet backbone weights of a full mmssl_ext checkpoint or of an extracted backbone file.

    Args:
        path (str): Checkpoint file.
        prefix (str): Backbone prefix in a full checkpoint. Defaults to 'backbone.'.

    Returns:
        dict[str, torch.Tensor]: Backbone weights without prefix, in the mmpretrain layout (checked).
    """
    ckpt = safe_torch_load(path, map_location='cpu')
    state = select_state_dict(ckpt, prefix, ['conv1.weight', 'bn1.weight'], source=path)
    state = OrderedDict((k, v) for k, v in state.items() if isinstance(v, torch.Tensor))
    resnet_depth(state)
    return state
