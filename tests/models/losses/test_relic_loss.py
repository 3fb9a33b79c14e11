"""ReLICLoss: a dense reference, alpha = 0 as cross-entropy, stop-gradient target, invariance, gradcheck, errors."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.losses import ReLICLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import (
    check_value_and_grads,
    close,
    close_views,
    gen,
    grads,
    nz,
    raw,
    row_log_softmax,
    unit,
)


def ref_relic(online, target, temperature=0.1, alpha=1.0):
    tgt = target.detach()
    num_t = tgt.shape[1]
    labels = torch.arange(online.shape[0])

    def logits(a, b):
        return online[:, a] @ tgt[:, b].T / temperature

    total, pairs = online.new_zeros(()), 0
    for a in range(online.shape[1]):
        for b in range(num_t):
            if a == b:
                continue
            log_p = torch.stack([row_log_softmax(row) for row in logits(a, b)])
            loss = -log_p[labels, labels].mean()
            if alpha > 0:
                other = a if a < num_t else [x for x in range(num_t) if x != b][0]
                teacher = logits(b, a) if a < num_t else logits(other, b)
                log_q = torch.stack([row_log_softmax(row) for row in teacher.detach()])
                loss = loss + alpha * (log_p.exp() * (log_p - log_q)).sum(1).mean()
            total, pairs = total + loss, pairs + 1
    return total / pairs


@pytest.mark.parametrize('alpha', [0.0, 1.0, 0.4])
@pytest.mark.parametrize('batch,source_views,target_views', [(5, 2, 2), (4, 4, 2), (3, 5, 3)])
def test_relic_matches_reference(alpha, batch, source_views, target_views):
    g = gen(batch * source_views)
    online, target = unit(batch, source_views, 6, g=g), unit(batch, target_views, 6, g=g)
    loss = ReLICLoss(temperature=0.2, alpha=alpha, loss_weight=0.8)
    check_value_and_grads(lambda o: loss(o, target), lambda o: 0.8 * ref_relic(o, target, 0.2, alpha), [online])


def test_relic_alpha_zero_is_mean_cross_entropy_over_pairs():
    g = gen(12)
    online, target = unit(5, 3, 6, g=g), unit(5, 2, 6, g=g)
    labels = torch.arange(5)
    pairs = [(a, b) for a in range(3) for b in range(2) if a != b]
    expected = sum(F.cross_entropy(online[:, a] @ target[:, b].T / 0.1, labels) for a, b in pairs) / len(pairs)
    close(ReLICLoss(alpha=0.0)(online, target), expected)
    assert ReLICLoss(alpha=1.0)(online, target) > expected


def test_relic_no_gradient_into_target():
    g = gen(13)
    online, target = unit(4, 3, 5, g=g).requires_grad_(), unit(4, 2, 5, g=g).requires_grad_()
    grad_online, grad_target = grads(ReLICLoss(alpha=1.0)(online, target), [online, target])
    assert grad_target is None or not grad_target.any()
    assert grad_online.abs().max() > 0


@pytest.mark.parametrize('alpha', [0.0, 1.0])
def test_relic_batch_permutation_invariance(alpha):
    g = gen(14)
    online, target, perm = unit(6, 3, 5, g=g), unit(6, 2, 5, g=g), torch.randperm(6, generator=g)
    loss = ReLICLoss(alpha=alpha)
    close(loss(online[perm], target[perm]), loss(online, target))


def test_gradcheck_relic():
    # alpha = 0: with alpha > 0 the teacher is a stop-gradient function of `online` itself, so finite
    # differences (which move the teacher too) must disagree; that gradient is checked against the reference.
    target = unit(3, 2, 4, g=gen(1))
    loss = ReLICLoss(temperature=0.3, alpha=0.0)
    assert torch.autograd.gradcheck(lambda o: loss(nz(o), target), (raw(3, 3, 4),))


def _relic_t(f):
    return ReLICLoss(temperature=0.01)(f, f[:, :2].detach())


@pytest.mark.parametrize('fn', [_relic_t], ids=['relic'])
def test_finite_at_small_temperature_float32(fn):
    f = close_views(6, 3, 8, seed=30).requires_grad_()
    loss = fn(f)
    (grad,) = grads(loss, [f])
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss) and torch.isfinite(grad).all()


_F = unit(6, 2, 4, g=gen(40))


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: ReLICLoss(alpha=-1), '`alpha` must be >= 0', id='40:`alpha` must be >= 0'),
        pytest.param(lambda: ReLICLoss(temperature=0), '`temperature` must be > 0', id='41:`temperature` must be > 0'),
        pytest.param(
            lambda: ReLICLoss()(_F, _F[:, :1]),
            '`target` needs at least 2 views',
            id='42:`target` needs at least 2 view',
        ),
        pytest.param(lambda: ReLICLoss()(_F, torch.cat([_F, _F], 1)), 'T <= S', id='43:T <= S'),
        pytest.param(
            lambda: ReLICLoss()(2 * _F, _F), '`online` must be L2-normalised', id='44:`online` must be L2-normalised'
        ),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize('cfg,cls', [pytest.param(dict(type='ReLICLoss', alpha=0.5), ReLICLoss, id='cfg5-ReLICLoss')])
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
