"""The batched view augmentations of the package together, against the per-image transforms of our configs.

* every module is registered, and a whole SimCLR view equals the per-image pipeline given the same draws, exactly;
* distributions: the outputs of every module match the per-image transform (two-sample Kolmogorov-Smirnov
  statistics below the 0.1% critical value, fixed seeds), and a wrong probability or range is caught by the same
  check.

The tests of one module are in ``test_<module>.py``.
"""

import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import RandomApply, RandomFlip, RandomGrayscale
from mmpretrain.datasets.transforms import ColorJitter, GaussianBlur, RandomResizedCrop, Solarize

from mmssl_ext.datasets.transforms.clsa_randaugment import CLSARandAugment
from mmssl_ext.models.batch_augments import (
    BatchCLSARandAugment,
    BatchColorJitter,
    BatchGaussianBlur,
    BatchRandomFlip,
    BatchRandomGrayscale,
    BatchRandomResizedCrop,
    BatchSolarize,
)
from mmssl_ext.registry import BATCH_AUGMENTS
from tests.models.batch_augments.augment_helpers import (
    BGR_WEIGHTS,
    ks_critical,
    ks_statistic,
    per_image_bgr,
    smooth_images,
    to_batch,
    to_rgb_arrays,
)

JITTER_KEYS = ('brightness', 'contrast', 'saturation', 'hue')


def jitter_draws(params, i):
    """The ``ColorJitter._rand_params`` tuple of sample ``i`` of BatchColorJitter parameters."""
    return (params['order'][i].numpy(), *(float(params[k][i]) for k in JITTER_KEYS))


# --- registry, a whole view ------------------------------------------------------------------------------------


def test_all_modules_are_registered():
    for name in (
        'BatchRandomResizedCrop', 'BatchColorJitter', 'BatchRandomGrayscale', 'BatchGaussianBlur',
        'BatchRandomFlip', 'BatchSolarize', 'BatchCLSARandAugment',
    ):  # fmt: skip
        assert BATCH_AUGMENTS.get(name) is not None, name


def test_whole_simclr_view_with_fixed_draws_equals_the_per_image_pipeline():
    """RRC -> jitter (p .8) -> grayscale (.2) -> blur (.5) -> flip (.5), with each draw fixed on both sides."""
    rgb = smooth_images(8, seed=7)
    ops = [
        BatchRandomResizedCrop(32),
        BatchColorJitter(0.8, 0.8, 0.8, 0.2, prob=0.8),
        BatchRandomGrayscale(0.2),
        BatchGaussianBlur(prob=0.5),
        BatchRandomFlip(0.5),
    ]
    torch.manual_seed(2)
    x, draws = to_batch(rgb), []
    for op in ops:
        params = op.sample(x)
        if op is not ops[0]:
            params['apply'] = torch.arange(8) % (2 + len(draws)) != 0  # a mix of applied / skipped samples
        draws.append(params)
        x = op.apply(x, params)
    out = to_rgb_arrays(x)
    for i in range(8):
        bgr = np.ascontiguousarray(rgb[i][..., ::-1])
        x0, y0, x1, y1 = draws[0]['boxes'][i].tolist()
        bgr = mmcv.imresize(
            mmcv.imcrop(bgr, np.array([x0, y0, x1 - 1, y1 - 1])), (32, 32), interpolation='bilinear', backend='pillow'
        )
        results = {'img': bgr}
        if draws[1]['apply'][i]:
            jitter = ColorJitter(0.8, 0.8, 0.8, 0.2)
            fixed = jitter_draws(draws[1], i)
            jitter._rand_params = lambda fixed=fixed: fixed
            results = jitter(results)
        if draws[2]['apply'][i]:
            results = RandomGrayscale(1.0, keep_channels=True, channel_weights=BGR_WEIGHTS)(results)
        if draws[3]['apply'][i]:
            results = GaussianBlur(radius=float(draws[3]['sigma'][i]), prob=1.0)(results)
        if draws[4]['apply'][i]:
            results['img'] = mmcv.imflip(results['img'])
        np.testing.assert_array_equal(out[i], results['img'][..., ::-1], err_msg=f'sample {i}')


# --- distributions ---------------------------------------------------------------------------------------------


def per_image_views(transform, rgb, n, seed=0):
    np.random.seed(seed)
    return np.stack([per_image_bgr(transform, rgb) for _ in range(n)])


def batched_views(op, rgb, n, seed=0):
    torch.manual_seed(seed)
    return to_rgb_arrays(op(to_batch(np.repeat(rgb[None], n, 0))))


def statistics(views):
    flat = views.reshape(len(views), -1).astype(float)
    per_channel = views.reshape(len(views), -1, 3).astype(float)
    return {
        'mean': flat.mean(1),
        'std': flat.std(1),
        'saturation': (per_channel.max(2) - per_channel.min(2)).mean(1),
        'left-right': (views[:, :, : views.shape[2] // 2].astype(float).mean((1, 2, 3)))
        - views[:, :, views.shape[2] // 2 :].astype(float).mean((1, 2, 3)),
    }


CASES = {
    'crop': (
        lambda: BatchRandomResizedCrop(24, (0.08, 1.0)),
        lambda: RandomResizedCrop(24, (0.08, 1.0), backend='pillow'),
    ),
    'jitter': (
        lambda: BatchColorJitter(0.8, 0.8, 0.8, 0.2, prob=0.8),
        lambda: RandomApply([ColorJitter(0.8, 0.8, 0.8, 0.2)], prob=0.8),
    ),
    'grayscale': (
        lambda: BatchRandomGrayscale(0.2),
        lambda: RandomGrayscale(0.2, keep_channels=True, channel_weights=BGR_WEIGHTS),
    ),
    'blur': (
        lambda: BatchGaussianBlur((0.1, 2.0), 0.5),
        lambda: GaussianBlur(magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    ),
    'flip': (lambda: BatchRandomFlip(0.5), lambda: RandomFlip(0.5, direction='horizontal')),
    'solarize': (lambda: BatchSolarize(128, 0.2), lambda: Solarize(thr=128, prob=0.2)),
    'clsa': (lambda: BatchCLSARandAugment(), lambda: CLSARandAugment()),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_output_statistics_match_the_per_image_transform(case):
    """Per-op statistics of 400 augmentations of one image: KS distance below the 0.1% critical value."""
    n = 400
    rgb = smooth_images(1, 24, 24, seed=8)[0]
    batched, per_image = (make() for make in CASES[case])
    ours, ref = statistics(batched_views(batched, rgb, n)), statistics(per_image_views(per_image, rgb, n))
    crit = ks_critical(n, n)
    for name in ours:
        assert ks_statistic(ours[name], ref[name]) < crit, f'{case}: {name}'


@pytest.mark.parametrize(
    'wrong, case',
    [
        (lambda: BatchColorJitter(0.8, 0.8, 0.8, 0.2, prob=0.5), 'jitter'),
        (lambda: BatchColorJitter(0.4, 0.8, 0.8, 0.2, prob=0.8), 'jitter'),
        (lambda: BatchRandomGrayscale(0.5), 'grayscale'),
        (lambda: BatchGaussianBlur((0.1, 1.0), 0.5), 'blur'),
        (lambda: BatchCLSARandAugment(prob=0.3), 'clsa'),
    ],
)
def test_the_statistics_check_catches_a_wrong_parameter(wrong, case):
    n = 400
    rgb = smooth_images(1, 24, 24, seed=8)[0]
    ours, ref = statistics(batched_views(wrong(), rgb, n)), statistics(per_image_views(CASES[case][1](), rgb, n))
    assert max(ks_statistic(ours[k], ref[k]) for k in ours) > ks_critical(n, n)
