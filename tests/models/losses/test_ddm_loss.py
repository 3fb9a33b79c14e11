"""DDMLoss and ddm_loss (CLSA's distribution divergence): hand values, minimum, multi-crop, reference, errors."""

import pytest
import torch

from mmssl_ext.models.losses import DDMLoss, QueueInfoNCELoss, ddm_loss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import (
    F64,
    check_value_and_grads,
    close,
    close_views,
    gen,
    grads,
    nz,
    raw,
    row_log_softmax,
    row_softmax,
    unit,
)


def ref_ddm(weak, strong, candidates, temperature=0.2, pairs='all'):
    cand = candidates.detach()
    total = strong.new_zeros(())
    for w in range(weak.shape[1] if pairs == 'all' else 1):
        for s in range(strong.shape[1]):
            for i in range(weak.shape[0]):
                p = row_softmax(torch.stack([weak[i, w].detach() @ c for c in cand]) / temperature)
                log_r = row_log_softmax(torch.stack([strong[i, s] @ c for c in cand]) / temperature)
                total = total - (p * log_r).sum() / weak.shape[0]
    return total


def test_clsa_hand_values():
    q_w, q_s, k = [1.0, 0.0], [0.6, 0.8], [1.0, 0.0]
    queue = torch.tensor([[0.0, 1.0], [-1.0, 0.0]], dtype=F64)
    l_c = QueueInfoNCELoss(temperature=0.2, in_batch_negatives=True)(torch.tensor([[q_w, k]], dtype=F64), queue)
    assert l_c.item() == pytest.approx(0.006760, abs=5e-7)

    weak_sim = torch.tensor([[1.0, 0.0, -1.0]], dtype=F64)
    strong_sim = torch.tensor([[0.6, 0.8, -0.6]], dtype=F64, requires_grad=True)
    l_d = ddm_loss(weak_sim, strong_sim, 0.2)
    assert l_d.item() == pytest.approx(1.307506, abs=5e-7)
    assert (l_c + l_d).item() == pytest.approx(1.314267, abs=5e-7)
    (grad,) = grads(l_d, [strong_sim])
    close(grad, torch.tensor([[-3.62250, 3.61940, 0.00311]], dtype=F64), rtol=0, atol=5e-6)
    p = torch.softmax(weak_sim / 0.2, 1)
    entropy = -(p * p.log()).sum()
    assert entropy.item() == pytest.approx(0.040674, abs=5e-7)
    close(ddm_loss(weak_sim, weak_sim.clone(), 0.2), entropy)

    # Same numbers through the module; no gradient reaches the weak query.
    cand = torch.tensor([k, [0.0, 1.0], [-1.0, 0.0]], dtype=F64)
    weak = torch.tensor([[q_w]], dtype=F64, requires_grad=True)
    strong = torch.tensor([[q_s]], dtype=F64, requires_grad=True)
    loss = DDMLoss(temperature=0.2)(weak, strong, cand)
    assert loss.item() == pytest.approx(1.307506, abs=5e-7)
    grad_weak, grad_strong = grads(loss, [weak, strong])
    assert grad_weak is None or not grad_weak.any()
    assert grad_strong.abs().max() > 0.1
    close(DDMLoss(temperature=0.2)(weak, weak.clone(), cand), entropy)


def test_ddm_minimum_is_entropy_at_equal_similarities():
    g = gen(10)
    weak_sim = torch.randn(4, 7, generator=g, dtype=F64)
    at_min = ddm_loss(weak_sim, weak_sim.clone(), 0.2)
    p = torch.softmax(weak_sim / 0.2, 1)
    close(at_min, -(p * p.log()).sum(1).mean())
    for _ in range(5):
        assert ddm_loss(weak_sim, weak_sim + 0.3 * torch.randn(4, 7, generator=g, dtype=F64), 0.2) > at_min


@pytest.mark.parametrize('pairs,terms', [('all', 25), ('first_weak', 5)])
def test_ddm_multi_crop_sums_terms(pairs, terms):
    g = gen(11)
    weak, strong, cand = unit(3, 5, 4, g=g), unit(3, 5, 4, g=g), unit(9, 4, g=g)
    expected = sum(
        ddm_loss(weak[:, w] @ cand.T, strong[:, s] @ cand.T, 0.2)
        for w in range(5 if pairs == 'all' else 1)
        for s in range(5)
    )
    close(DDMLoss(pairs=pairs)(weak, strong, cand), expected)
    single = ddm_loss(weak[:, 0] @ cand.T, strong[:, 0] @ cand.T, 0.2)
    assert not torch.allclose(expected, terms * single)  # the terms do differ


@pytest.mark.parametrize(
    'shape,pairs', [((4, 1, 1, 6, 3), 'all'), ((3, 2, 3, 8, 5), 'all'), ((5, 3, 2, 7, 4), 'first_weak')]
)
def test_ddm_matches_reference(shape, pairs):
    batch, n_weak, n_strong, n_cand, dim = shape
    g = gen(batch + n_cand)
    weak, strong, cand = unit(batch, n_weak, dim, g=g), unit(batch, n_strong, dim, g=g), unit(n_cand, dim, g=g)
    loss = DDMLoss(temperature=0.15, pairs=pairs, loss_weight=0.5)
    check_value_and_grads(loss, lambda w, s, c: 0.5 * ref_ddm(w, s, c, 0.15, pairs), [weak, strong, cand])


def test_gradcheck_ddm():
    weak, cand = unit(2, 2, 3, g=gen(1)), unit(4, 3, g=gen(2))
    assert torch.autograd.gradcheck(lambda s: DDMLoss()(weak, nz(s), cand), (raw(2, 2, 3),))


def _ddm_t(f):
    return DDMLoss(temperature=0.01)(f[:, :1], f[:, 1:], f[:, 0].detach())


@pytest.mark.parametrize('fn', [_ddm_t], ids=['ddm'])
def test_finite_at_small_temperature_float32(fn):
    f = close_views(6, 3, 8, seed=30).requires_grad_()
    loss = fn(f)
    (grad,) = grads(loss, [f])
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss) and torch.isfinite(grad).all()


_F = unit(6, 2, 4, g=gen(40))
_Q = unit(5, 4, g=gen(41))


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(
            lambda: DDMLoss(pairs='one'),
            "`pairs` must be 'all' or 'first_weak'",
            id="20:`pairs` must be 'all' or 'firs",
        ),
        pytest.param(lambda: DDMLoss(temperature=0), '`temperature` must be > 0', id='21:`temperature` must be > 0'),
        pytest.param(lambda: DDMLoss()(_F, _F[:4], _Q), 'must share B', id='22:must share B'),
        pytest.param(
            lambda: DDMLoss()(_F, _F, 2 * _Q),
            '`candidates` must be L2-normalised',
            id='23:`candidates` must be L2-normal',
        ),
        pytest.param(lambda: DDMLoss()(_F[:, 0], _F, _Q), r'`weak` must be shaped', id='24:`weak` must be shaped'),
        pytest.param(
            lambda: ddm_loss(torch.zeros(2, 3), torch.zeros(2, 4)), 'differ in shape', id='25:differ in shape'
        ),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls', [pytest.param(dict(type='DDMLoss', pairs='first_weak'), DDMLoss, id='cfg3-DDMLoss')]
)
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
