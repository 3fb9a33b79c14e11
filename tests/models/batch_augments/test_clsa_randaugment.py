"""BatchCLSARandAugment: equal to the per-image CLSA ops given the same draws, the draws, errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from mmssl_ext.datasets.transforms.clsa_randaugment import CLSA_OPS, op_parameter
from mmssl_ext.models.batch_augments import BatchCLSARandAugment
from tests.models.batch_augments.augment_helpers import smooth_images, to_batch, to_rgb_arrays


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


@pytest.mark.parametrize(
    'make, match',
    [
        (lambda: BatchCLSARandAugment(ops=['Cutout']), 'unknown ops'),
    ],
)
def test_bad_arguments_name_the_field(make, match):
    with pytest.raises(ValueError, match=match):
        make()
