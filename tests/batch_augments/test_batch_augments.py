"""The batched view augmentations against the per-image transforms of our configs.

* fixed parameters: every module (and a whole SimCLR / CLSA strong view) equals the per-image transform given
  the same draws, exactly;
* distributions: the draws and the outputs of every module match the per-image transform (two-sample
  Kolmogorov-Smirnov statistics below the 0.1% critical value, fixed seeds), and a wrong probability or range is
  caught by the same check.
"""

import math

import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import RandomApply, RandomFlip, RandomGrayscale
from mmpretrain.datasets.transforms import ColorJitter, GaussianBlur, RandomResizedCrop, Solarize
from PIL import Image

from mmssl_ext.datasets.transforms.clsa_randaugment import CLSA_OPS, CLSARandAugment, op_parameter
from mmssl_ext.models.batch_augments import (
    BatchCLSARandAugment,
    BatchColorJitter,
    BatchGaussianBlur,
    BatchRandomFlip,
    BatchRandomGrayscale,
    BatchRandomResizedCrop,
    BatchSolarize,
    sample_crop_boxes,
)
from mmssl_ext.models.batch_augments.base import _subset_by_index, _subset_by_where
from mmssl_ext.registry import BATCH_AUGMENTS

BGR_WEIGHTS = (0.114, 0.587, 0.2989)


def smooth_images(n, h=32, w=32, seed=0):
    """uint8 RGB (n, h, w, 3): low-resolution noise upsampled, so blur, jitter and crops all change it."""
    rng = np.random.RandomState(seed)
    small = rng.randint(0, 256, (n, max(h // 4, 2), max(w // 4, 2), 3)).astype(np.uint8)
    return np.stack([np.asarray(Image.fromarray(s).resize((w, h), Image.BILINEAR)) for s in small])


JITTER_KEYS = ('brightness', 'contrast', 'saturation', 'hue')


def jitter_draws(params, i):
    """The ``ColorJitter._rand_params`` tuple of sample ``i`` of BatchColorJitter parameters."""
    return (params['order'][i].numpy(), *(float(params[k][i]) for k in JITTER_KEYS))


def to_batch(rgb):
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(0, 3, 1, 2).float()


def to_rgb_arrays(batch):
    return batch.permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8).numpy()


def per_image_bgr(transform, rgb):
    """Run an mmcv-style transform on the BGR copy of an RGB image; return RGB."""
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    out = transform({'img': bgr, 'img_shape': bgr.shape[:2], 'ori_shape': bgr.shape[:2]})['img']
    return out[..., ::-1]


def ks_statistic(a, b):
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side='right') / len(a)
    cdf_b = np.searchsorted(b, grid, side='right') / len(b)
    return np.abs(cdf_a - cdf_b).max()


def ks_critical(n, m, alpha=1e-3):
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


# --- registry, subsets ---------------------------------------------------------------------------------------


def test_all_modules_are_registered():
    for name in (
        'BatchRandomResizedCrop', 'BatchColorJitter', 'BatchRandomGrayscale', 'BatchGaussianBlur',
        'BatchRandomFlip', 'BatchSolarize', 'BatchCLSARandAugment',
    ):  # fmt: skip
        assert BATCH_AUGMENTS.get(name) is not None, name


def test_subset_by_index_equals_subset_by_where():
    img = to_batch(smooth_images(6))
    mask = torch.tensor([True, False, True, True, False, False])
    factor = torch.linspace(0.2, 1.8, 6)

    def fn(x, f):
        return (x * f.view(-1, 1, 1, 1)).round().clamp(0, 255)

    by_index = _subset_by_index(img, mask, fn, (factor,), False)
    assert torch.equal(by_index, _subset_by_where(img, mask, fn, (factor,)))
    assert torch.equal(by_index[~mask], img[~mask]) and not torch.equal(by_index[mask], img[mask])


# --- fixed parameters: equal to the per-image transforms -----------------------------------------------------


def test_color_jitter_fixed_parameters_equal_mmpretrain():
    rgb = smooth_images(8, seed=1)
    jitter = BatchColorJitter(brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, prob=0.8)
    torch.manual_seed(0)
    params = jitter.sample(to_batch(rgb))
    params['apply'][:2] = torch.tensor([False, True])
    out = to_rgb_arrays(jitter.apply(to_batch(rgb), params))
    for i in range(len(rgb)):
        if not params['apply'][i]:
            np.testing.assert_array_equal(out[i], rgb[i])
            continue
        ref = ColorJitter(brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)
        draws = (
            params['order'][i].numpy(),
            *(float(params[k][i]) for k in ('brightness', 'contrast', 'saturation', 'hue')),
        )
        ref._rand_params = lambda draws=draws: draws
        np.testing.assert_array_equal(out[i], per_image_bgr(ref, rgb[i]), err_msg=f'sample {i}')


def test_color_jitter_order_is_per_sample():
    """The same image twice, brightness-then-hue on one and hue-then-brightness on the other."""
    rgb = np.repeat(smooth_images(1, seed=2), 2, 0)
    jitter = BatchColorJitter(brightness=0.8, hue=0.3)
    params = {
        'apply': torch.ones(2, dtype=torch.bool),
        'brightness': torch.tensor([1.8, 1.8]),
        'contrast': torch.ones(2),
        'saturation': torch.ones(2),
        'hue': torch.tensor([0.3, 0.3]),
        'order': torch.tensor([[0, 3, 1, 2], [3, 0, 1, 2]]),
    }
    out = to_rgb_arrays(jitter.apply(to_batch(rgb), params))
    for i, order in enumerate(([0, 3, 1, 2], [3, 0, 1, 2])):
        ref = ColorJitter(brightness=0.8, hue=0.3)
        ref._rand_params = lambda order=order: (np.array(order), 1.8, None, None, 0.3)
        np.testing.assert_array_equal(out[i], per_image_bgr(ref, rgb[i]))
    assert not np.array_equal(out[0], out[1])  # the order matters (brightness clips), and is per sample


def test_random_resized_crop_fixed_boxes_equal_mmpretrain():
    rgb = smooth_images(6, 32, 32, seed=3)
    boxes = torch.tensor([[0, 0, 32, 32], [3, 5, 12, 9], [10, 2, 31, 30], [0, 20, 7, 32], [5, 5, 6, 6], [1, 0, 30, 32]])
    crop = BatchRandomResizedCrop(size=24)
    out = to_rgb_arrays(crop.apply(to_batch(rgb), {'boxes': boxes}))
    for i, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        ref = RandomResizedCrop(scale=24, backend='pillow')
        ref.rand_crop_params = lambda img, p=(y0, x0, y1 - y0, x1 - x0): p
        np.testing.assert_array_equal(out[i], per_image_bgr(ref, rgb[i]), err_msg=f'box {i}')


@pytest.mark.parametrize(
    'batched, per_image',
    [
        (BatchRandomGrayscale(prob=1.0), RandomGrayscale(prob=1.0, keep_channels=True, channel_weights=BGR_WEIGHTS)),
        (BatchSolarize(threshold=128, prob=1.0), Solarize(thr=128, prob=1.0)),
        (BatchRandomFlip(prob=1.0), RandomFlip(prob=1.0, direction='horizontal')),
    ],
)
def test_parameter_free_ops_equal_per_image(batched, per_image):
    rgb = smooth_images(5, 20, 28, seed=4)
    out = to_rgb_arrays(batched(to_batch(rgb)))
    for i in range(len(rgb)):
        np.testing.assert_array_equal(out[i], per_image_bgr(per_image, rgb[i]))


def test_gaussian_blur_fixed_sigma_equals_mmpretrain():
    rgb = smooth_images(6, seed=5)
    sigma = torch.tensor([0.1, 0.5, 0.93, 1.4, 1.77, 2.0])
    params = {'apply': torch.tensor([True, True, True, False, True, True]), 'sigma': sigma}
    out = to_rgb_arrays(BatchGaussianBlur().apply(to_batch(rgb), params))
    for i in range(len(rgb)):
        ref = (
            rgb[i] if not params['apply'][i] else per_image_bgr(GaussianBlur(radius=float(sigma[i]), prob=1.0), rgb[i])
        )
        np.testing.assert_array_equal(out[i], ref, err_msg=f'sigma {float(sigma[i])}')


def clsa_reference(rgb, names, picks, magnitudes, applied, negate):
    """CLSARandAugment._augment with its draws replaced by the given ones (the official op sequence)."""
    img = Image.fromarray(rgb)
    for k in range(len(picks)):
        if applied[k]:
            name = names[picks[k]]
            param = op_parameter(name, int(magnitudes[k]))
            img = CLSA_OPS[name](img, -param if negate[k] else param)
    return np.asarray(img)


def test_clsa_randaugment_fixed_draws_equal_the_per_image_ops():
    rgb = smooth_images(48, 24, 20, seed=6)
    aug = BatchCLSARandAugment()
    torch.manual_seed(1)
    params = aug.sample(to_batch(rgb))
    # every op at every magnitude appears among 48 x 5 picks with these seeds
    assert set(params['picks'][params['applied']].tolist()) == set(range(14))
    out = to_rgb_arrays(aug.apply(to_batch(rgb), params))
    for i in range(len(rgb)):
        ref = clsa_reference(
            rgb[i], aug.ops, *(params[k][i].tolist() for k in ('picks', 'magnitudes', 'applied', 'negate'))
        )
        np.testing.assert_array_equal(out[i], ref, err_msg=f'sample {i}')


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


def test_crop_boxes_follow_mmpretrain_distribution():
    n = 3000
    np.random.seed(0)
    torch.manual_seed(0)
    ref = RandomResizedCrop(scale=32, crop_ratio_range=(0.08, 1.0))
    img = np.zeros((32, 40, 3), np.uint8)
    ref_boxes = np.array([ref.rand_crop_params(img) for _ in range(n)])  # (oh, ow, th, tw)
    ours = sample_crop_boxes(n, 32, 40, (0.08, 1.0), (3 / 4, 4 / 3)).numpy()  # (x0, y0, x1, y1)
    ours_h, ours_w = ours[:, 3] - ours[:, 1], ours[:, 2] - ours[:, 0]
    assert (ours[:, 0] >= 0).all() and (ours[:, 2] <= 40).all() and (ours[:, 1] >= 0).all() and (ours[:, 3] <= 32).all()
    crit = ks_critical(n, n)
    for name, a, b in [
        ('area', ours_h * ours_w, ref_boxes[:, 2] * ref_boxes[:, 3]),
        ('log ratio', np.log(ours_w / ours_h), np.log(ref_boxes[:, 3] / ref_boxes[:, 2])),
        ('x0', ours[:, 0], ref_boxes[:, 1]),
        ('y centre', ours[:, 1] + ours_h / 2, ref_boxes[:, 0] + ref_boxes[:, 2] / 2),
    ]:
        assert ks_statistic(a, b) < crit, name
    # and the check has power: a crop scale of (0.2, 1.0) is caught
    wrong = sample_crop_boxes(n, 32, 40, (0.2, 1.0), (3 / 4, 4 / 3)).numpy()
    wrong_area = (wrong[:, 3] - wrong[:, 1]) * (wrong[:, 2] - wrong[:, 0])
    assert ks_statistic(wrong_area, ref_boxes[:, 2] * ref_boxes[:, 3]) > crit


@pytest.mark.parametrize('h, w, ratio', [(32, 32, (2.0, 3.0)), (32, 96, (0.75, 1.33)), (96, 20, (0.75, 1.33))])
def test_crop_boxes_fallback_is_mmpretrain_central_crop(h, w, ratio):
    """A full-area crop of an aspect ratio the image cannot hold never fits: the central fallback."""
    ref = RandomResizedCrop(scale=8, crop_ratio_range=(1.0, 1.0), aspect_ratio_range=ratio)
    oh, ow, th, tw = ref.rand_crop_params(np.zeros((h, w, 3), np.uint8))
    assert (th, tw) != (h, w) or ratio[0] <= w / h <= ratio[1]
    ours = sample_crop_boxes(4, h, w, (1.0, 1.0), ratio)
    assert ours.tolist() == [[ow, oh, ow + tw, oh + th]] * 4


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


def test_clsa_draws_follow_the_per_image_transform():
    aug = BatchCLSARandAugment()
    torch.manual_seed(3)
    p = aug.sample(torch.zeros(4000, 3, 4, 4))
    picks, mags = p['picks'].flatten().numpy(), p['magnitudes'].flatten().numpy()
    assert np.bincount(picks, minlength=14).min() > 0.8 * len(picks) / 14
    assert set(mags.tolist()) == set(range(1, 10)) and np.bincount(mags)[1:].min() > 0.8 * len(mags) / 9
    assert abs(p['applied'].float().mean().item() - 0.5) < 0.01
    signed = torch.tensor([aug.ops[j] in ('Rotate', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY') for j in range(14)])
    is_signed = signed[p['picks']]
    assert not p['negate'][~is_signed].any() and abs(p['negate'][is_signed].float().mean().item() - 0.5) < 0.02
    values = aug.parameters(p)
    assert values[p['picks'] == aug.ops.index('Solarize')].min() >= 26 and values.abs().max() <= 231


def test_jitter_draws():
    jitter = BatchColorJitter(brightness=0.8, contrast=(0.5, 0.9), hue=0.2, prob=0.8)
    torch.manual_seed(4)
    p = jitter.sample(torch.zeros(6000, 3, 2, 2))
    assert abs(p['apply'].float().mean().item() - 0.8) < 0.02
    assert p['brightness'].min() >= 0.2 and p['brightness'].max() <= 1.8 and abs(p['brightness'].mean() - 1) < 0.02
    assert p['contrast'].min() >= 0.5 and p['contrast'].max() <= 0.9
    assert torch.equal(p['saturation'], torch.ones(6000)) and p['hue'].abs().max() <= 0.2
    perms = p['order'] @ torch.tensor([64, 16, 4, 1])
    counts = torch.bincount(perms, minlength=256)[torch.bincount(perms, minlength=256) > 0]
    assert len(counts) == 24 and counts.min() > 0.8 * 6000 / 24
    assert jitter.ranges[2] is None  # saturation 0: the op is skipped, not run with factor 1


@pytest.mark.parametrize(
    'make, match',
    [
        (lambda: BatchColorJitter(brightness=-1), 'brightness'),
        (lambda: BatchColorJitter(hue=(0.2, 0.7)), 'hue'),
        (lambda: BatchRandomGrayscale(prob=1.5), 'prob'),
        (lambda: BatchRandomGrayscale(rgb_weights=(1, 2)), 'rgb_weights'),
        (lambda: BatchGaussianBlur(sigma_range=(2.0, 0.1)), 'sigma_range'),
        (lambda: BatchRandomResizedCrop(size=0), 'size'),
        (lambda: BatchRandomResizedCrop(scale=(0.5, 1.5)), 'scale'),
        (lambda: BatchSolarize(threshold=300), 'threshold'),
        (lambda: BatchCLSARandAugment(ops=['Cutout']), 'unknown ops'),
    ],
)
def test_bad_arguments_name_the_field(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_rejects_uint8_and_wrong_rank():
    with pytest.raises(ValueError, match='float32'):
        BatchRandomFlip()(torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match='float32'):
        BatchRandomFlip()(torch.zeros(3, 4, 4))


def test_base_needs_sample_and_apply():
    from mmssl_ext.models.batch_augments import BaseBatchAugment

    class OnlySample(BaseBatchAugment):
        def sample(self, img):
            return {'apply': torch.ones(img.shape[0], dtype=torch.bool)}

    with pytest.raises(TypeError, match='apply'):
        OnlySample()
