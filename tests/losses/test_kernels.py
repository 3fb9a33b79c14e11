"""The shared kernels: structured fast path == dense path, chunked == unchunked, masks, gather helpers."""

import pytest
import torch
import torch.nn.functional as F

import mmssl_ext.models.losses.contrastive_kernel as kernel
from mmssl_ext.models.losses import (
    DCLLoss,
    EpsSupInfoNCELoss,
    FNCLoss,
    InfoNCELoss,
    PairMasks,
    SupConLoss,
    UniConLoss,
    contrastive_log_softmax,
    masked_logsumexp,
)
from mmssl_ext.models.utils import all_gather_no_grad, all_gather_with_grad


def _x(b=10, v=3, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(b, v, d, generator=g, dtype=torch.float64), dim=-1)


def _labels(b=10, seed=0):
    return torch.randint(3, (b,), generator=torch.Generator().manual_seed(seed))


def _dup():
    x = _x(seed=3)
    x[2] = x[7]
    return x


CASES = {
    'supcon': (lambda: SupConLoss(0.3, 0.3), lambda: (_x(), _labels())),
    'supcon_unlabelled': (lambda: SupConLoss(0.3, 0.3), lambda: (_x(),)),
    'supcon_one': (lambda: SupConLoss(0.3, 0.3, contrast_mode='one'), lambda: (_x(), _labels())),
    'supcon_no_positive': (lambda: SupConLoss(0.3, 0.3), lambda: (_x(4, 1), torch.tensor([0, 1, 1, 2]))),
    'ntxent': (lambda: InfoNCELoss(0.2), lambda: (_x(),)),
    'dcl': (lambda: DCLLoss(0.2), lambda: (_x(),)),
    'dclw': (lambda: DCLLoss(0.2, weight_fn='vmf'), lambda: (_x(v=2),)),
    'fnc_attract': (lambda: FNCLoss(0.2, topk=3, threshold=0.5), lambda: (_dup(),)),
    'fnc_eliminate': (lambda: FNCLoss(0.2, mode='eliminate', topk=3, threshold=0.5), lambda: (_dup(),)),
    'unicon': (lambda: UniConLoss(0.2), lambda: (_x(), _x(seed=5), _labels())),
}


def _run(loss, inputs):
    x = inputs[0].clone().requires_grad_(True)
    value = loss(x, *inputs[1:])
    value.backward()
    return value.detach(), x.grad


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


def test_kernel_against_dense_formula_with_explicit_weighted_mask():
    g = torch.Generator().manual_seed(1)
    a = F.normalize(torch.randn(5, 4, generator=g, dtype=torch.float64), dim=-1).requires_grad_(True)
    c = F.normalize(torch.randn(7, 4, generator=g, dtype=torch.float64), dim=-1).requires_grad_(True)
    weights = torch.rand(5, 7, generator=g, dtype=torch.float64) * (torch.rand(5, 7, generator=g) > 0.4)
    masks = PairMasks(explicit=weights, anchor_rows=torch.arange(5), contrast_cols=torch.arange(7))
    rows = contrastive_log_softmax(a, c, masks, 0.5)
    s = a @ c.T / 0.5
    n = weights.sum(1)
    ref = torch.where(n > 0, s.logsumexp(1) - (weights * s).sum(1) / n.clamp(min=1e-12), torch.zeros_like(n))
    torch.testing.assert_close(rows, ref)
    assert torch.autograd.gradcheck(lambda a, c: contrastive_log_softmax(a, c, masks, 0.5), (a, c))


def test_pair_masks_validate_arguments():
    with pytest.raises(ValueError, match='exactly one'):
        PairMasks()
    with pytest.raises(ValueError, match='anchor_rows'):
        PairMasks(explicit=torch.ones(2, 2))
    with pytest.raises(ValueError, match='denominator'):
        PairMasks(anchor_keys=torch.zeros(2), contrast_keys=torch.zeros(2), denominator='some')
    with pytest.raises(ValueError, match='chunk_size'):
        contrastive_log_softmax(
            torch.ones(1, 1), torch.ones(1, 1), PairMasks(torch.zeros(1), torch.zeros(1)), 1, chunk_size=0
        )


def test_masked_logsumexp_does_not_underflow():
    x = torch.tensor([[-1000.0, -1001.0, 5.0]])
    mask = torch.tensor([[True, True, False]])
    expected = torch.tensor([-1000.0 + torch.log1p(torch.exp(torch.tensor(-1.0))).item()])
    torch.testing.assert_close(masked_logsumexp(x, mask), expected)
    naive = torch.log((torch.exp(x) * mask).sum(-1))
    assert torch.isinf(naive).all()


def test_gather_helpers_are_identity_in_one_process():
    x = torch.randn(3, 2, requires_grad=True)
    assert all_gather_with_grad(x) is x
    assert all_gather_no_grad(x) is x
