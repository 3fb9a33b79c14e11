"""Random ResNets and their full (algorithm-style) checkpoints, for the checkpoint converters' tests."""

from typing import Any

import torch
from mmpretrain.models import ResNet

__all__ = ['full_checkpoint', 'random_resnet']


def random_resnet(cls: type = ResNet, depth: int = 50, seed: int = 0, **kwargs: Any) -> torch.nn.Module:
    """A ResNet (eval mode) with random weights and non-trivial BN statistics and affine parameters.

    Args:
        cls (type): The mmpretrain ResNet class. Defaults to ResNet.
        depth (int): ResNet depth. Defaults to 50.
        seed (int): Seed of the initialisation. Defaults to 0.
        **kwargs (Any): More arguments of ``cls``.

    Returns:
        torch.nn.Module: The model, last stage as its only output.
    """
    torch.manual_seed(seed)
    model = cls(depth=depth, out_indices=(3,), **kwargs)
    with torch.no_grad():  # non-trivial BN statistics and affine parameters
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()  # ResNet.train() returns None
    return model


def full_checkpoint(model: torch.nn.Module, path: Any) -> str:
    """Save ``model`` as the backbone of a full checkpoint, with projector keys that are not part of it.

    Args:
        model (torch.nn.Module): The backbone.
        path (Any): Where to save (a ``str`` or a ``pathlib.Path``).

    Returns:
        str: ``path``.
    """
    state = {f'backbone.{k}': v for k, v in model.state_dict().items()}
    state['neck.mlp.0.weight'] = torch.randn(4, 2048)  # projector keys: not part of the backbone
    torch.save({'state_dict': state, 'meta': {}}, path)
    return str(path)
