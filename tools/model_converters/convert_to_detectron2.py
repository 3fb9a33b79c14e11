# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Convert a pre-trained ResNet backbone to detectron2's ``.pkl`` layout (and back).

``python tools/model_converters/convert_to_detectron2.py IN.pth OUT.pkl [--prefix backbone.]``

``IN.pth`` is a full mmssl_ext checkpoint or an extracted backbone file. The names follow detectron2's own
``tools/convert-torchvision-to-d2.py`` (as MoCo's and mmselfsup's converters do): ``conv1``/``bn1`` move under
``stem.``, ``layerN`` becomes ``res{N+1}``, ``bnK`` becomes ``convK.norm``, ``downsample.0``/``.1`` become
``shortcut``/``shortcut.norm``; BN ``num_batches_tracked`` counters are dropped. The file is a pickle of
``{'model': {name: numpy array}, '__author__': 'mmssl_ext', 'matching_heuristics': True}``; use it as
``MODEL.WEIGHTS`` with ``MODEL.PIXEL_MEAN [123.675, 116.280, 103.530]``, ``PIXEL_STD [58.395, 57.120, 57.375]``,
``INPUT.FORMAT RGB`` and ``MODEL.RESNETS.STRIDE_IN_1X1 False`` (torchvision-style ResNet).
``--reverse`` converts a detectron2 ``.pkl`` back to an mmpretrain backbone ``.pth``.
"""

import argparse
import os.path as osp
import pickle
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from tools.model_converters.resnet_keys import load_resnet_backbone, resnet_depth  # noqa: E402

__all__ = ['d2_key', 'from_detectron2', 'mm_key', 'to_detectron2']


def d2_key(key: str) -> str:
    """detectron2 name of an mmpretrain ResNet key (``layer1.0.bn2.weight`` -> ``res2.0.conv2.norm.weight``)."""
    if not key.startswith('layer'):
        key = 'stem.' + key
    key = re.sub(r'^layer(\d)', lambda m: f'res{int(m.group(1)) + 1}', key)
    key = re.sub(r'\bbn(\d)\b', r'conv\1.norm', key)
    key = key.replace('downsample.0', 'shortcut').replace('downsample.1', 'shortcut.norm')
    return key


def mm_key(key: str) -> str:
    """The mmpretrain name of a detectron2 ResNet key (the inverse of :func:`d2_key`)."""
    key = key.replace('shortcut.norm', 'downsample.1').replace('shortcut', 'downsample.0')
    key = re.sub(r'\bconv(\d)\.norm\b', r'bn\1', key)
    key = re.sub(r'^res(\d)', lambda m: f'layer{int(m.group(1)) - 1}', key)
    return key[len('stem.') :] if key.startswith('stem.') else key


def to_detectron2(state: Dict[str, torch.Tensor]) -> dict:
    """The detectron2 checkpoint object of an mmpretrain-layout ResNet backbone.

    Args:
        state (dict): Backbone weights without prefix.

    Returns:
        dict: ``{'model': {name: np.ndarray}, '__author__': 'mmssl_ext', 'matching_heuristics': True}``.
    """
    resnet_depth(state)
    model = OrderedDict(
        (d2_key(k), v.detach().cpu().numpy()) for k, v in state.items() if not k.endswith('num_batches_tracked')
    )
    return {'model': model, '__author__': 'mmssl_ext', 'matching_heuristics': True}


def from_detectron2(obj: dict) -> Dict[str, torch.Tensor]:
    """The mmpretrain ``ResNet`` weights of a detectron2 ResNet checkpoint object (``num_batches_tracked`` absent).

    Args:
        obj (dict): ``{'model': {...}}`` as written by :func:`to_detectron2` (or a bare name -> array dict).

    Returns:
        dict[str, torch.Tensor]: The backbone state dict.
    """
    model = obj.get('model', obj)
    state = OrderedDict((mm_key(k), torch.as_tensor(np.asarray(v))) for k, v in model.items())
    resnet_depth(state)
    return state


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description='Convert a ResNet backbone to detectron2 .pkl (or back)')
    parser.add_argument('checkpoint', help='mmssl_ext checkpoint or backbone file (detectron2 .pkl with --reverse)')
    parser.add_argument('output', help='output .pkl (an mmpretrain backbone .pth with --reverse)')
    parser.add_argument('--prefix', default='backbone.', help='backbone prefix in a full checkpoint')
    parser.add_argument('--reverse', action='store_true', help='detectron2 .pkl -> mmpretrain backbone .pth')
    args = parser.parse_args(argv)
    if args.reverse:
        with open(args.checkpoint, 'rb') as f:
            obj = pickle.load(f, encoding='latin1')  # detectron2 .pkl files are plain pickles of numpy arrays
        state = from_detectron2(obj)
        torch.save({'state_dict': state, 'meta': {'source': osp.basename(args.checkpoint)}}, args.output)
        print(f'wrote {len(state)} mmpretrain ResNet tensors to {args.output}')
        return
    state = load_resnet_backbone(args.checkpoint, args.prefix)
    obj = to_detectron2(state)
    with open(args.output, 'wb') as f:
        pickle.dump(obj, f)
    depth, _ = resnet_depth(state)
    print(f"wrote detectron2 R{depth} weights ({len(obj['model'])} arrays) to {args.output}")


if __name__ == '__main__':
    main()
