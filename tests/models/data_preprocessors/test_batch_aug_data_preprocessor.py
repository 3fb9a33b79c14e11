"""BatchAugDataPreprocessor: view groups, RGB before the ops, normalisation, eval path, errors, and the fast configs."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import RandomGrayscale
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.models.utils.data_preprocessor import SelfSupDataPreprocessor

from mmssl_ext.models.data_preprocessors import BatchAugDataPreprocessor
from mmssl_ext.registry import MODELS
from tests.helpers import ROOT

MEAN, STD = [125.3, 123.0, 113.9], [63.0, 62.1, 66.7]
FAST = {
    'simclr': 'configs/simclr/simclr_resnet18_1xb256-fastaug-lars-coslr-1000e_cifar10.py',
    'mocov2': 'configs/mocov2/mocov2_resnet18_1xb256-fastaug-coslr-1000e_cifar10.py',
    'clsa': 'configs/clsa/clsa_resnet18_1xb256-multi-fastaug-coslr-1000e_cifar10.py',
}
PER_IMAGE = {
    'simclr': 'configs/simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py',
    'mocov2': 'configs/mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py',
    'clsa': 'configs/clsa/clsa_resnet18_1xb256-multi-coslr-1000e_cifar10.py',
}


def bgr_batch(n=4, h=16, w=16, seed=0):
    return torch.from_numpy(np.random.RandomState(seed).randint(0, 256, (n, 3, h, w), dtype=np.uint8))


def build(**kwargs):
    return BatchAugDataPreprocessor(mean=MEAN, std=STD, to_rgb=True, **kwargs)


def test_no_ops_equals_selfsup_preprocessor_on_replicated_views():
    x = bgr_batch()
    ours = build(num_views=[1, 2], view_augments=[[], []])({'inputs': x, 'data_samples': None}, True)['inputs']
    ref = SelfSupDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)({'inputs': [x, x, x], 'data_samples': None}, True)[
        'inputs'
    ]
    assert len(ours) == 3 and all(torch.equal(a, b) for a, b in zip(ours, ref))


def test_views_are_made_in_rgb_before_the_ops():
    """A grayscale op with RGB weights on the converted batch equals mmcv's grayscale with BGR weights."""
    x = bgr_batch(seed=1)
    pre = BatchAugDataPreprocessor(
        to_rgb=True, num_views=1, view_augments=[[dict(type='BatchRandomGrayscale', prob=1.0)]]
    )
    out = pre({'inputs': x, 'data_samples': None}, True)['inputs'][0]
    gray = RandomGrayscale(prob=1.0, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989))
    for i in range(len(x)):
        ref = gray({'img': x[i].permute(1, 2, 0).numpy().copy()})['img'][..., ::-1]  # BGR -> RGB
        np.testing.assert_array_equal(out[i].permute(1, 2, 0).to(torch.uint8).numpy(), ref)


def test_views_of_a_group_are_independent_and_groups_keep_their_ops():
    x = bgr_batch(8, 32, 32, seed=2)
    crop = [dict(type='BatchRandomResizedCrop', size=16)]
    pre = build(num_views=[2, 1], view_augments=[crop, [dict(type='BatchRandomResizedCrop', size=8)]])
    torch.manual_seed(0)
    views = pre({'inputs': x, 'data_samples': None}, True)['inputs']
    assert [tuple(v.shape) for v in views] == [(8, 3, 16, 16), (8, 3, 16, 16), (8, 3, 8, 8)]
    assert not torch.equal(views[0], views[1])


def test_one_view_per_group_member_from_the_loader():
    views = [bgr_batch(seed=s) for s in range(3)]
    pre = build(num_views=[1, 2], view_augments=[[], []])
    out = pre({'inputs': views, 'data_samples': None}, True)['inputs']
    ref = SelfSupDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)({'inputs': views, 'data_samples': None}, True)[
        'inputs'
    ]
    assert all(torch.equal(a, b) for a, b in zip(out, ref))


def test_eval_path_is_the_parent_class():
    x = bgr_batch()
    pre = build(num_views=2, view_augments=[[dict(type='BatchRandomFlip', prob=1.0)]])
    ref = SelfSupDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)({'inputs': x, 'data_samples': None}, False)['inputs']
    assert torch.equal(pre({'inputs': x, 'data_samples': None}, False)['inputs'], ref)


def test_channels_last():
    pre = build(num_views=1, view_augments=[[]], channels_last=True)
    (view,) = pre({'inputs': bgr_batch(), 'data_samples': None}, True)['inputs']
    assert view.is_contiguous(memory_format=torch.channels_last)
    plain = build(channels_last=True, view_augments=())  # the parent class plus channels-last
    ref = SelfSupDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    for data in ({'inputs': bgr_batch(), 'data_samples': None}, {'inputs': [bgr_batch()] * 2, 'data_samples': None}):
        ours, theirs = plain(data, True)['inputs'], ref(data, True)['inputs']
        for a, b in zip(ours if isinstance(ours, list) else [ours], theirs if isinstance(theirs, list) else [theirs]):
            assert torch.equal(a, b) and a.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(num_views=[1, 1], view_augments=[[]]), 'num_views'),
        (dict(num_views=0, view_augments=[[]]), 'num_views'),
        (dict(view_augments=dict(type='BatchRandomFlip')), 'view_augments'),
    ],
)
def test_bad_config_names_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_wrong_number_of_loader_views():
    pre = build(num_views=3, view_augments=[[]])
    with pytest.raises(ValueError, match='sum\\(num_views\\) = 3'):
        pre({'inputs': [bgr_batch(), bgr_batch()], 'data_samples': None}, True)


@pytest.mark.parametrize('case', sorted(FAST))
def test_fast_configs_match_their_per_image_configs(case):
    """Same model, schedule and view count; the per-image view ops map one to one onto batched ones."""
    fast, ref = (Config.fromfile(osp.join(ROOT, c[case])) for c in (FAST, PER_IMAGE))
    assert fast.model == ref.model and fast.optim_wrapper == ref.optim_wrapper
    assert [t['type'] for t in fast.train_dataloader.dataset.pipeline] == ['LoadImageFromFile', 'PackInputs']
    groups = ref.train_dataloader.dataset.pipeline[1]['transforms']
    counts = ref.train_dataloader.dataset.pipeline[1]['num_views']
    pre = fast.data_preprocessor
    assert list(np.broadcast_to(counts, len(groups))) == list(np.broadcast_to(pre.num_views, len(groups)))
    for per_image, batched in zip(groups, pre.view_augments):
        assert [t['type'] for t in batched] == [
            {
                'RandomResizedCrop': 'BatchRandomResizedCrop',
                'RandomApply': 'BatchColorJitter',
                'RandomGrayscale': 'BatchRandomGrayscale',
                'GaussianBlur': 'BatchGaussianBlur',
                'RandomFlip': 'BatchRandomFlip',
                'CLSARandAugment': 'BatchCLSARandAugment',
            }[t['type']]
            for t in per_image
        ]
        assert batched[0]['size'] == per_image[0]['scale'] and batched[0]['scale'] == per_image[0]['crop_ratio_range']
        jitter = per_image[1]['transforms'][0]
        assert [batched[1][k] for k in ('brightness', 'contrast', 'saturation', 'hue', 'prob')] == [
            jitter['brightness'], jitter['contrast'], jitter['saturation'], jitter['hue'], per_image[1]['prob']
        ]  # fmt: skip
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        built = MODELS.build(dict(fast.data_preprocessor))
    assert built.total_views == sum(np.broadcast_to(counts, len(groups)))


def test_imagenet_fast_config_splits_the_view_between_worker_and_device():
    """Workers crop and flip each view (sources of any size); the device runs the rest, in the same order."""
    fast = Config.fromfile(osp.join(ROOT, 'configs/simclr/simclr_resnet50_16xb256-fastaug-lars-coslr-200e_in1k.py'))
    ref = Config.fromfile(osp.join(ROOT, 'configs/simclr/simclr_resnet50_16xb256-lars-coslr-200e_in1k.py'))
    assert fast.model == ref.model and fast.train_dataloader.batch_size == ref.train_dataloader.batch_size
    worker = fast.train_dataloader.dataset.pipeline[1]
    per_image = ref.train_dataloader.dataset.pipeline[1]
    assert worker['num_views'] == per_image['num_views'] == fast.data_preprocessor.num_views == 2
    (view,) = per_image['transforms']
    (worker_ops,) = worker['transforms']
    (device_ops,) = fast.data_preprocessor.view_augments
    assert worker_ops == view[:2]  # RandomResizedCrop, RandomFlip
    assert [t['type'] for t in view[2:]] == ['RandomApply', 'RandomGrayscale', 'GaussianBlur']
    assert [t['type'] for t in device_ops] == ['BatchColorJitter', 'BatchRandomGrayscale', 'BatchGaussianBlur']
    jitter = view[2]['transforms'][0]
    assert {k: device_ops[0][k] for k in ('brightness', 'contrast', 'saturation', 'hue')} == {
        k: jitter[k] for k in ('brightness', 'contrast', 'saturation', 'hue')
    }
    assert device_ops[1]['rgb_weights'] == tuple(view[3]['channel_weights'])[::-1]
    assert device_ops[2]['sigma_range'] == view[4]['magnitude_range']
