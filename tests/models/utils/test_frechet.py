"""Frechet distance of two feature batches: zero, mean shift, scipy reference, errors."""

import numpy as np
import pytest
import scipy.linalg
import torch

from mmssl_ext.models.utils import frechet_distance


def _batch(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g) @ torch.randn(d, d, generator=g)  # correlated features


def _scipy_reference(x, y):
    x, y = x.double().numpy(), y.double().numpy()
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    cross = scipy.linalg.sqrtm(cov_x @ cov_y).real
    return float(((x.mean(0) - y.mean(0)) ** 2).sum() + np.trace(cov_x + cov_y - 2 * cross))


def test_identical_batches_are_at_distance_zero():
    x = _batch(64, 16, 0)
    assert float(frechet_distance(x, x)) == pytest.approx(0.0, abs=1e-5)


def test_mean_shift_gives_its_squared_norm():
    x = _batch(64, 16, 1)
    d = torch.linspace(-1.0, 2.0, 16)
    assert float(frechet_distance(x, x + d)) == pytest.approx(float(d.double().square().sum()), rel=1e-6)


@pytest.mark.parametrize('n,m,d', [(64, 64, 8), (50, 80, 12), (10, 10, 32)])  # (10, 10, 32): singular covariances
def test_matches_scipy_sqrtm(n, m, d):
    x, y = _batch(n, d, 2), _batch(m, d, 3) + 0.5
    assert float(frechet_distance(x, y)) == pytest.approx(_scipy_reference(x, y), rel=1e-5, abs=1e-6)


def test_symmetric_and_non_negative():
    x, y = _batch(40, 6, 4), 2 * _batch(40, 6, 5)
    assert float(frechet_distance(x, y)) == pytest.approx(float(frechet_distance(y, x)), rel=1e-9)
    assert float(frechet_distance(x, y)) > 0


def test_bad_shapes_name_the_field():
    with pytest.raises(ValueError, match='`x` must be an \\[N, D\\] tensor with N >= 2'):
        frechet_distance(torch.zeros(1, 4), torch.zeros(3, 4))
    with pytest.raises(ValueError, match='`y`'):
        frechet_distance(torch.zeros(3, 4), torch.zeros(3))
    with pytest.raises(ValueError, match='feature dimension'):
        frechet_distance(torch.zeros(3, 4), torch.zeros(3, 5))
