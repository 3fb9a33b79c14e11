"""Helpers the tests import (``from tests.helpers import ...``); pytest fixtures stay in ``tests/conftest.py``.

``dist_probe`` (hooks recording distributed runs, loaded with ``custom_imports``) and ``resume_harness`` (a
script that runs ``tools/train.py`` and kills it) are imported or run by path, not re-exported here.
"""

from .dist import free_port, run_dist_train, spawn_ranks
from .paths import ROOT, SHARED_DATA, config_path
from .smoke import smoke_cfg

__all__ = ['ROOT', 'SHARED_DATA', 'config_path', 'free_port', 'run_dist_train', 'smoke_cfg', 'spawn_ranks']
