"""Shared fixtures: registries, paths, and a tiny-config factory."""

import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
SHARED_DATA = os.environ.get('MMSSL_SHARED_DATA', osp.join(ROOT, '..', 'shared', 'data'))

from mmssl_ext.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=True)


@pytest.fixture
def root() -> str:
    return ROOT


def config_path(*parts: str) -> str:
    return osp.join(ROOT, 'configs', *parts)
