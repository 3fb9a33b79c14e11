"""Every dataset base hands the backbone RGB: the channel swap and the grayscale weights follow the decoder.

Folder datasets decode with ``LoadImageFromFile``: mmcv's order (BGR) by default, so their preprocessor sets
``to_rgb=True`` and their pipeline's grayscale weights are in BGR order; with ``channel_order='rgb'`` they are RGB.
mmpretrain's ``CIFAR10`` / ``CIFAR100`` decode the python pickles in memory to RGB, and ``CIFAR10AnyLayout`` reads
either the pickles or a folder tree, so its loader must decode files as RGB too: ``to_rgb=False`` and RGB-ordered
weights.
"""

import glob
import os.path as osp

import pytest
from mmengine.config import Config

from tests.helpers import ROOT

BASES = sorted(glob.glob(osp.join(ROOT, 'configs', '_base_', 'datasets', '*.py')))
RGB_DECODED = {'CIFAR10', 'CIFAR100'}  # mmpretrain's in-memory pickle datasets
BOTH = {'CIFAR10AnyLayout'}  # in-memory pickles or files, by layout
LUMA_RGB = (0.2989, 0.587, 0.114)


def _walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _walk(v)


@pytest.mark.parametrize('path', BASES, ids=[osp.basename(p) for p in BASES])
def test_backbone_sees_rgb(path):
    cfg = Config.fromfile(path)
    dataset = cfg.train_dataloader.dataset
    loaders = [t for t in _walk(dataset.get('pipeline', [])) if t.get('type') == 'LoadImageFromFile']
    rgb_loader = bool(loaders) and all(t.get('channel_order', 'bgr') == 'rgb' for t in loaders)
    if dataset.type in RGB_DECODED:
        assert not loaders or rgb_loader, f'{path}: {dataset.type} decodes RGB in memory; a BGR loader would mix orders'
    if dataset.type in BOTH:
        assert rgb_loader, f"{path}: {dataset.type} may read files: it needs LoadImageFromFile(channel_order='rgb')"
    decoded_rgb = dataset.type in RGB_DECODED | BOTH or rgb_loader
    preprocessor = cfg.get('data_preprocessor') or {}
    if 'to_rgb' in preprocessor or 'type' in preprocessor:
        assert bool(preprocessor.get('to_rgb', False)) == (not decoded_rgb), (
            f'{path}: {dataset.type} yields {"RGB" if decoded_rgb else "BGR"}, so data_preprocessor.to_rgb must be '
            f'{not decoded_rgb}'
        )
    for t in _walk(cfg._cfg_dict.to_dict()):
        if t.get('type') == 'RandomGrayscale' and t.get('channel_weights') is not None:
            weights = tuple(t['channel_weights'])
            expected = LUMA_RGB if decoded_rgb else LUMA_RGB[::-1]
            assert weights == expected, f'{path}: grayscale weights {weights}, expected {expected} for this decoder'


def test_check_catches_a_swapped_base(tmp_path):
    """The check is not vacuous: a CIFAR100 base with to_rgb=True fails it."""
    src = osp.join(ROOT, 'configs', '_base_', 'datasets', 'cifar100_bs256_simclr.py')
    bad = tmp_path / 'bad.py'
    bad.write_text(open(src, encoding='utf-8').read().replace('to_rgb=False', 'to_rgb=True'))
    with pytest.raises(AssertionError, match='to_rgb must be False'):
        test_backbone_sees_rgb(str(bad))


def test_check_catches_a_bgr_loader_on_the_any_layout_base(tmp_path):
    src = osp.join(ROOT, 'configs', '_base_', 'datasets', 'cifar10_bs256_simclr.py')
    bad = tmp_path / 'bad.py'
    bad.write_text(open(src, encoding='utf-8').read().replace(", channel_order='rgb'", ''))
    with pytest.raises(AssertionError, match="channel_order='rgb'"):
        test_backbone_sees_rgb(str(bad))
