# Copyright (c) mmssl_ext contributors. All rights reserved.
"""mmssl_ext: contrastive representation learning methods for OpenMMLab.

Importing the package applies its one patch of a dependency, here and nowhere else:
:func:`~mmssl_ext.compat.patch_mmcv_adjust_hue` (mmcv 2.1.0's ``adjust_hue`` raises on numpy 2, so every
``ColorJitter(hue>0)`` of a pipeline would fail on about half of the images; the patch gives numpy 1's results and
does nothing on other versions). Every way into the package (``register_all_modules``, a registry's import
location, ``custom_imports``) passes here first.

It also names the package in MMEngine's table of config packages (``MODULE2PACKAGE``), so that a config of any
OpenMMLab project can inherit ours as ``_base_ = 'mmssl_ext::simclr/....py'`` once ``mmssl_ext`` is imported (our
``tools/*.py`` and ``mim train mmssl_ext`` import it first; a script of your own: ``import mmssl_ext`` before
``Config.fromfile``). The configs are read from the installed package's ``.mim/configs`` (``setup.py``).
"""

from mmengine.config.utils import MODULE2PACKAGE as _MODULE2PACKAGE

from .compat import patch_mmcv_adjust_hue as _patch_mmcv_adjust_hue
from .version import __version__

__all__ = ['__version__']

_patch_mmcv_adjust_hue()
_MODULE2PACKAGE.setdefault('mmssl_ext', 'mmssl_ext')
