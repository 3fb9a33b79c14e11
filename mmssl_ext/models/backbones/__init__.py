# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Backbones registered in ``mmssl_ext.registry.MODELS``."""

from .aps_vit import APSViT

__all__ = ['APSViT']
