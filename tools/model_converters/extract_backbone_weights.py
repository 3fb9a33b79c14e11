# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Extract the backbone from a full mmssl_ext checkpoint.

``python tools/model_converters/extract_backbone_weights.py IN.pth OUT.pth``

Keeps the ``backbone.*`` weights with the prefix stripped (mmselfsup's convention), so ``OUT.pth``
loads with ``init_cfg=dict(type='Pretrained', checkpoint=OUT.pth)`` in mmpretrain or mmdet backbones.
"""

import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.utils import safe_torch_load  # noqa: E402


def extract_backbone(checkpoint: dict, prefix: str = 'backbone.') -> Dict[str, torch.Tensor]:
    """Return the ``prefix``-ed weights of ``checkpoint`` with the prefix removed.

    Args:
        checkpoint (dict): A loaded checkpoint (with or without ``state_dict``).
        prefix (str): The key prefix of the backbone. Defaults to 'backbone.'.

    Returns:
        dict[str, torch.Tensor]: The backbone weights.

    Raises:
        KeyError: When no key starts with ``prefix``.
    """
    state = checkpoint.get('state_dict', checkpoint)
    weights = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    if not weights:
        raise KeyError(f'no key starts with {prefix!r}; first keys: {list(state)[:5]}')
    return weights


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description='Extract backbone weights from an mmssl_ext checkpoint')
    parser.add_argument('checkpoint', help='input checkpoint')
    parser.add_argument('output', help='output file')
    parser.add_argument('--prefix', default='backbone.', help="key prefix to keep (default 'backbone.')")
    args = parser.parse_args(argv)
    ckpt = safe_torch_load(args.checkpoint, map_location='cpu')
    weights = extract_backbone(ckpt, args.prefix)
    meta = {'source': osp.basename(args.checkpoint), 'prefix': args.prefix}
    torch.save({'state_dict': weights, 'meta': meta}, args.output)
    print(f'wrote {len(weights)} backbone tensors to {args.output}')


if __name__ == '__main__':
    main()
