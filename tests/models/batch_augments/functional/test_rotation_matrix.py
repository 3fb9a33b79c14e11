"""The rotation matrix equals the one Pillow's ``Image.rotate`` hands to ``Image.transform``."""

import numpy as np
import torch
from PIL import Image

from mmssl_ext.models.batch_augments.functional import rotation_matrix


def test_rotate_matrix_matches_pillow(monkeypatch):
    """The matrix Image.rotate hands to Image.transform (captured), within one unit of round(., 15)."""
    captured = []
    transform = Image.Image.transform

    def spy(self, size, method, data=None, *args, **kwargs):
        captured.append(tuple(data))
        return transform(self, size, method, data, *args, **kwargs)

    monkeypatch.setattr(Image.Image, 'transform', spy)
    deg = np.random.RandomState(0).uniform(-400, 400, 300).astype(np.float32)
    im = Image.new('L', (29, 37))
    for d in deg:
        im.rotate(float(d))
    ref = torch.tensor(captured, dtype=torch.float64)
    got = rotation_matrix._rotate_coeffs(torch.from_numpy(deg).double(), 37, 29)
    assert ref.shape == got.shape == (300, 6)
    assert (ref - got).abs().max() <= 2e-14  # c, f: one unit of 1e-15 in a, b times the half size
    assert (ref == got).all(1).float().mean() > 0.97
