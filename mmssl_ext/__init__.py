# Copyright (c) mmssl_ext contributors. All rights reserved.
"""mmssl_ext: contrastive representation learning methods for OpenMMLab."""

from .version import __version__

__all__ = ['__version__']
