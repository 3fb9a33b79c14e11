# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Convert a pre-trained ResNet backbone to torchvision's ``resnet*`` state dict.

``python tools/model_converters/convert_to_torchvision.py IN.pth OUT.pth [--prefix backbone.]``

``IN.pth`` is a full mmssl_ext checkpoint or an extracted backbone file. ``OUT.pth`` is a plain state dict::

    model = torchvision.models.resnet50()
    missing, unexpected = model.load_state_dict(torch.load('OUT.pth'), strict=False)  # missing: fc.weight, fc.bias

The key names already agree (mmpretrain's ResNet is torchvision's, ``style='pytorch'``); the converter checks the
layout (7x7 stem, 4 stages, known depth), drops what torchvision's model does not have and reports the depth.
"""

import argparse
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Optional

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from tools.model_converters.resnet_keys import load_resnet_backbone, resnet_depth  # noqa: E402

__all__ = ['from_torchvision', 'to_torchvision']


def _is_resnet_key(key: str) -> bool:
    head = key.split('.')[0]
    return head in ('conv1', 'bn1') or (head.startswith('layer') and head[5:].isdigit())


def to_torchvision(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The torchvision ``resnet{depth}`` weights (without ``fc``) of an mmpretrain-layout ResNet backbone.

    Args:
        state (dict): Backbone weights without prefix.

    Returns:
        dict[str, torch.Tensor]: The state dict.

    Raises:
        ValueError: The layout does not convert, or there are keys torchvision's ResNet does not have.
    """
    resnet_depth(state)
    extra = [k for k in state if not _is_resnet_key(k)]
    if extra:
        raise ValueError(f"keys with no torchvision counterpart: {extra[:8]}{' ...' if len(extra) > 8 else ''}")
    return OrderedDict((k, v.detach().clone()) for k, v in state.items())


def from_torchvision(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The mmpretrain ``ResNet`` weights of a torchvision ``resnet*`` state dict (``fc`` dropped).

    Args:
        state (dict): torchvision weights.

    Returns:
        dict[str, torch.Tensor]: The backbone state dict.
    """
    out = OrderedDict((k, v.detach().clone()) for k, v in state.items() if not k.startswith('fc.'))
    resnet_depth(out)
    return out


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description='Convert a ResNet backbone to the torchvision layout')
    parser.add_argument('checkpoint', help='full mmssl_ext checkpoint or extracted backbone file')
    parser.add_argument('output', help='output .pth (a plain state dict)')
    parser.add_argument('--prefix', default='backbone.', help='backbone prefix in a full checkpoint')
    args = parser.parse_args(argv)
    state = to_torchvision(load_resnet_backbone(args.checkpoint, args.prefix))
    torch.save(state, args.output)
    depth, _ = resnet_depth(state)
    print(f'wrote torchvision resnet{depth} weights ({len(state)} tensors, no fc) to {args.output}')


if __name__ == '__main__':
    main()
