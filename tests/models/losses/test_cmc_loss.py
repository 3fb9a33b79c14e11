"""CMCLoss: softmax and NCE forms against a dense reference, the partition estimate, gradcheck, errors."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.losses import CMCLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import (
    F64,
    check_value_and_grads,
    close,
    close_views,
    cmc_inputs,
    gen,
    grads,
    nz,
    raw,
    row_log_softmax,
    unit,
)


def ref_cmc_partition(features, banks, indices, negatives, temperature):
    views, size = banks.shape[0], banks.shape[1]
    z = []
    for u in range(views):
        v = (u + 1) % views
        vals = []
        for i in range(features.shape[0]):
            for m in [int(indices[i])] + [int(x) for x in negatives[i]]:
                vals.append(torch.exp(banks[u, m] @ features[i, v] / temperature))
        z.append(torch.stack(vals).mean() * size)
    return torch.stack(z)


def ref_cmc(features, banks, indices, negatives, temperature, loss_type, partition=None, eps=1e-7):
    n, views = features.shape[:2]
    size, k = banks.shape[1], negatives.shape[1]
    total = features.new_zeros(())
    for v in range(views):
        for u in range(views):
            if u == v:
                continue
            for i in range(n):
                s_pos = banks[u, indices[i]] @ features[i, v] / temperature
                s_neg = torch.stack([banks[u, m] @ features[i, v] for m in negatives[i]]) / temperature
                if loss_type == 'softmax':
                    total = total - row_log_softmax(torch.cat([s_pos[None], s_neg]))[0] / n
                else:
                    pn = 1.0 / size
                    p_pos, p_neg = torch.exp(s_pos) / partition[u], torch.exp(s_neg) / partition[u]
                    log_d1 = torch.log(p_pos / (p_pos + k * pn + eps))
                    log_d0 = torch.log(k * pn / (p_neg + k * pn + eps)).sum()
                    total = total - (log_d1 + log_d0) / n
    return total


@pytest.mark.parametrize('views', [2, 3])
@pytest.mark.parametrize('loss_type', ['softmax', 'nce'])
def test_cmc_matches_reference(loss_type, views):
    f, banks, indices, negatives = cmc_inputs(views=views, seed=views)
    loss = CMCLoss(temperature=0.07, loss_type=loss_type, loss_weight=0.5)
    partition = torch.tensor([3.0e3, 5.0e2, 1.0e4][:views], dtype=F64)
    check_value_and_grads(
        lambda x: loss(x, banks, indices, negatives, partition),
        lambda x: 0.5 * ref_cmc(x, banks, indices, negatives, 0.07, loss_type, partition),
        [f],
    )


def test_cmc_partition_estimate():
    f, banks, indices, negatives = cmc_inputs(views=3, seed=15)
    loss = CMCLoss(temperature=0.07, loss_type='nce')
    z = loss.estimate_partition(f, banks, indices, negatives)
    close(z, ref_cmc_partition(f, banks, indices, negatives, 0.07))
    # Without a partition the loss estimates it from the batch.
    expected = ref_cmc(f, banks, indices, negatives, 0.07, 'nce', ref_cmc_partition(f, banks, indices, negatives, 0.07))
    close(loss(f, banks, indices, negatives), expected)


def test_cmc_banks_get_no_gradient_and_negatives_default_uniform():
    f, banks, indices, _ = cmc_inputs(seed=16)
    f, banks = f.clone().requires_grad_(), banks.clone().requires_grad_()
    loss = CMCLoss(num_negatives=6)
    torch.manual_seed(0)
    value = loss(f, banks, indices)
    grad_f, grad_banks = grads(value, [f, banks])
    assert grad_banks is None or not grad_banks.any()
    assert grad_f.abs().max() > 0
    torch.manual_seed(0)
    negatives = torch.randint(banks.shape[1], (f.shape[0], 6))
    close(value, loss(f, banks, indices, negatives))


def test_gradcheck_cmc():
    _, banks, indices, negatives = cmc_inputs(batch=3, size=8, k=3, dim=4, seed=1)
    z = torch.tensor([20.0, 30.0], dtype=F64)
    for loss_type in ('softmax', 'nce'):
        loss = CMCLoss(temperature=0.2, loss_type=loss_type)
        assert torch.autograd.gradcheck(lambda x, loss=loss: loss(nz(x), banks, indices, negatives, z), (raw(3, 2, 4),))


def _cmc_t(f, loss_type):
    banks = F.normalize(f[:, :2].detach().transpose(0, 1).repeat(1, 2, 1), dim=-1)
    negatives = torch.arange(12).roll(3)[:8].repeat(6, 1)
    return CMCLoss(temperature=0.01, loss_type=loss_type)(f[:, :2], banks, torch.arange(6), negatives)


@pytest.mark.parametrize(
    'fn', [lambda f: _cmc_t(f, 'softmax'), lambda f: _cmc_t(f, 'nce')], ids=['cmc_softmax', 'cmc_nce']
)
def test_finite_at_small_temperature_float32(fn):
    f = close_views(6, 3, 8, seed=30).requires_grad_()
    loss = fn(f)
    (grad,) = grads(loss, [f])
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss) and torch.isfinite(grad).all()


_F = unit(6, 2, 4, g=gen(40))
_BANKS = unit(2, 10, 4, g=gen(42))
_IDX = torch.arange(6)


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(
            lambda: CMCLoss(loss_type='hinge'),
            "`loss_type` must be 'softmax' or 'nce'",
            id="45:`loss_type` must be 'softmax' ",
        ),
        pytest.param(
            lambda: CMCLoss(num_negatives=0), '`num_negatives` must be >= 1', id='46:`num_negatives` must be >= 1'
        ),
        pytest.param(lambda: CMCLoss(temperature=0), '`temperature` must be > 0', id='47:`temperature` must be > 0'),
        pytest.param(
            lambda: CMCLoss()(_F, _BANKS[:1], _IDX),
            r'`banks` must be shaped \[V, M, D\]',
            id='48:`banks` must be shaped \\[V, M,',
        ),
        pytest.param(
            lambda: CMCLoss()(_F, _BANKS, _IDX[:3]),
            r'`indices` must be shaped \[6\]',
            id='49:`indices` must be shaped \\[6\\]',
        ),
        pytest.param(lambda: CMCLoss()(2 * _F, _BANKS, _IDX), 'L2-normalised', id='50:L2-normalised'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize('cfg,cls', [pytest.param(dict(type='CMCLoss', loss_type='nce'), CMCLoss, id='cfg6-CMCLoss')])
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
