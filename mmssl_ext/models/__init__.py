# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Models registered in ``mmssl_ext.registry.MODELS``.

The SimCLR and MoCo v2 baselines use mmpretrain's algorithms, reached through the registry chain.
"""

__all__: list = []
