"""contrastive_loss and per_positive_loss: a chunked pass equals the unchunked one (values and gradients)."""

import pytest
import torch

from mmssl_ext.models.losses import EpsSupInfoNCELoss, SupConLoss
from tests.models.losses.kernels.kernel_helpers import _labels, _run, _x


@pytest.mark.parametrize(
    'make_loss',
    [
        lambda c: SupConLoss(0.2, 0.2, chunk_size=c),
        lambda c: SupConLoss(0.2, 0.2, summation='in', chunk_size=c),
        lambda c: SupConLoss(0.2, 0.2, denominator_mode='only_negatives', chunk_size=c),
        lambda c: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3, chunk_size=c),
        lambda c: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3, form='in', chunk_size=c),
    ],
)
def test_chunked_equals_unchunked(make_loss):
    inputs = (_x(), _labels())
    full = _run(make_loss(None), inputs)
    for chunk in (1, 3, 7):
        part = _run(make_loss(chunk), inputs)
        torch.testing.assert_close(part[0], full[0], rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(part[1], full[1], rtol=1e-10, atol=1e-12)
