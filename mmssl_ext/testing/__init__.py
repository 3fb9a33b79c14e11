# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Development instruments for the tests, tools and benchmarks; training never uses them.

* :mod:`~mmssl_ext.testing.smoke`: shrink any config to a few CPU iterations on the embedded digits dataset
  (``tools/misc/smoke_run.py``, the tests' tiny runs, the budget benchmark's presets).
* :mod:`~mmssl_ext.testing.sync_counter`: count the ops that make the host wait for the device, on any device.

This is the package's top layer: it may import every other subpackage, and none of them imports it.
"""

from .smoke import DATALOADER_KEYS, digits_loader, make_smoke_config
from .sync_counter import SYNC_OPS, HostSyncCounter

__all__ = ['DATALOADER_KEYS', 'digits_loader', 'make_smoke_config', 'SYNC_OPS', 'HostSyncCounter']
