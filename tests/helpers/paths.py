"""Paths of the checkout the tests run from: its root, its configs and the shared data folder."""

import os
import os.path as osp

__all__ = ['ROOT', 'SHARED_DATA', 'config_path']

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SHARED_DATA = os.environ.get('MMSSL_SHARED_DATA', osp.join(ROOT, '..', 'shared', 'data'))


def config_path(*parts: str) -> str:
    """The path of a shipped config.

    Args:
        *parts (str): Path components under ``configs/``, e.g. ``'simclr', 'simclr_....py'``.

    Returns:
        str: ``ROOT/configs/<parts>``.
    """
    return osp.join(ROOT, 'configs', *parts)
