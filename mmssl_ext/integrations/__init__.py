# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Integrations with other OpenMMLab codebases, imported on demand (each needs its codebase installed).

* :mod:`mmssl_ext.integrations.mmdet`: the modules mmdet transfer configs name, added to mmdet's registries.

Nothing is imported here: ``import mmssl_ext`` never imports mmdet or changes its registries.
"""

__all__: list = []
