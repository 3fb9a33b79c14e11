# Copyright (c) mmssl_ext contributors. All rights reserved.
"""mmssl_ext: contrastive representation learning methods for OpenMMLab.

Importing the package applies its one patch of a dependency, here and nowhere else:
:func:`~mmssl_ext.compat.patch_mmcv_adjust_hue` (mmcv 2.1.0's ``adjust_hue`` raises on numpy 2, so every
``ColorJitter(hue>0)`` of a pipeline would fail on about half of the images; the patch gives numpy 1's results and
does nothing on other versions). Every way into the package (``register_all_modules``, a registry's import
location, ``custom_imports``) passes here first.
"""

from .compat import patch_mmcv_adjust_hue as _patch_mmcv_adjust_hue
from .version import __version__

__all__ = ['__version__']

_patch_mmcv_adjust_hue()
