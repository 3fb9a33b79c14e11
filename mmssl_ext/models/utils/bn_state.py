# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Run a train-mode forward pass without changing the batch-norm running statistics."""

from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn

__all__ = ['preserve_bn_stats']


@contextmanager
def preserve_bn_stats(module: nn.Module) -> Iterator[None]:
    """Restore every batch-norm buffer (running mean / var, batch counter) of ``module`` on exit.

    A scoring pass in train mode normalises with batch statistics, as the training pass does, but must
    not count as an extra update of the running statistics used at evaluation time.

    Args:
        module (nn.Module): The model whose ``_BatchNorm`` layers are protected.

    Yields:
        None: Inside the block the module runs as usual.
    """
    saved = []
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._NormBase):
            saved.append((layer, {k: v.clone() for k, v in layer.named_buffers(recurse=False) if v is not None}))
    try:
        yield
    finally:
        for layer, buffers in saved:
            for name, value in buffers.items():
                getattr(layer, name).copy_(value)
