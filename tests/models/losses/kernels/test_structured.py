"""contrastive_log_softmax: the structured fast path equals the dense path, chunked or not, for the losses using it."""

import pytest
import torch

import mmssl_ext.models.losses.kernels.log_softmax as kernel
from mmssl_ext.models.losses import DCLLoss, FNCLoss, NTXentLoss, SupConLoss, UniConLoss
from tests.models.losses.kernels.kernel_helpers import _labels, _run, _x


def _dup():
    x = _x(seed=3)
    x[2] = x[7]
    return x


CASES = {
    'supcon': (lambda: SupConLoss(0.3, 0.3), lambda: (_x(), _labels())),
    'supcon_unlabelled': (lambda: SupConLoss(0.3, 0.3), lambda: (_x(),)),
    'supcon_one': (lambda: SupConLoss(0.3, 0.3, contrast_mode='one'), lambda: (_x(), _labels())),
    'supcon_no_positive': (lambda: SupConLoss(0.3, 0.3), lambda: (_x(4, 1), torch.tensor([0, 1, 1, 2]))),
    'ntxent': (lambda: NTXentLoss(0.2), lambda: (_x(),)),
    'dcl': (lambda: DCLLoss(0.2), lambda: (_x(),)),
    'dclw': (lambda: DCLLoss(0.2, weight_fn='vmf'), lambda: (_x(v=2),)),
    'fnc_attract': (lambda: FNCLoss(0.2, topk=3, threshold=0.5), lambda: (_dup(),)),
    'fnc_eliminate': (lambda: FNCLoss(0.2, mode='eliminate', topk=3, threshold=0.5), lambda: (_dup(),)),
    'unicon': (lambda: UniConLoss(0.2), lambda: (_x(), _x(seed=5), _labels())),
}


@pytest.mark.parametrize('chunk', [None, 4])
@pytest.mark.parametrize('name', sorted(CASES))
def test_structured_path_equals_dense_path(name, chunk, monkeypatch):
    make_loss, make_inputs = CASES[name]
    loss = make_loss()
    loss.chunk_size = chunk
    fast = _run(loss, make_inputs())
    monkeypatch.setattr(kernel, 'structured_supported', lambda masks, mode: False)
    dense = _run(loss, make_inputs())
    torch.testing.assert_close(fast[0], dense[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(fast[1], dense[1], rtol=1e-10, atol=1e-12)
    assert fast[1].abs().sum() > 0
