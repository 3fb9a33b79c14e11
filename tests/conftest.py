"""Session setup (import path, thread counts, registries) and the shared pytest fixtures.

Helpers that tests import live in :mod:`tests.helpers`.
"""

import os
import sys

import pytest

from tests.helpers import ROOT

sys.path.insert(0, ROOT)
if os.environ.get('PYTEST_XDIST_WORKER'):
    # `make test` runs one pytest worker per core (pytest-xdist): one thread each (and in the processes tests
    # start), or the workers' thread pools fight over the cores
    for _var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ.setdefault(_var, '1')

from mmssl_ext.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=True)


@pytest.fixture
def root() -> str:
    return ROOT
