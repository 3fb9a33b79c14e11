"""FairKLLoss against a dense re-implementation (methods.md): values, gradients, edge cases, gradcheck, errors."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.losses import FairKLLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import F64, check_value_and_grads, close, close_views, gen, grads, nz, raw, unit


def ref_fairkl(features, labels, bias, temperature=1.0, kld=1.0, view=0):
    f = features[:, view]
    n = f.shape[0]
    sim = [[f[i] @ f[j] / temperature for j in range(n)] for i in range(n)]
    zero = f.new_zeros(())
    mu, sd = {}, {}
    for name in ('pa', 'pc', 'na', 'nc'):
        vals, count = [], 0
        for i in range(n):
            for j in range(n):
                pos = bool(labels[i] == labels[j])
                aligned = bool(bias[i] == bias[j])
                member = name == ('p' if pos else 'n') + ('a' if aligned else 'c')
                vals.append(sim[i][j] if member else zero)
                count += member
        x = torch.stack(vals)
        mu[name] = x.sum() / max(count, 1)
        sd[name] = torch.sqrt(((x - x.mean()) ** 2).sum() / (x.numel() - 1))
    reg = (mu['pc'] - mu['pa']) ** 2 + (mu['na'] - mu['nc']) ** 2
    reg = reg + kld * ((sd['pa'] - sd['pc']) ** 2 + (sd['na'] - sd['nc']) ** 2)
    return reg - mu['pc'] + mu['na']


@pytest.mark.parametrize(
    'batch,views,dim,temperature,kld,view',
    [(6, 2, 5, 1.0, 1.0, 0), (8, 1, 4, 0.5, 0.3, 0), (7, 3, 6, 0.1, 2.0, 2)],
)
def test_fairkl_matches_reference(batch, views, dim, temperature, kld, view):
    g = gen(batch)
    f = unit(batch, views, dim, g=g)
    y = torch.randint(0, 2, (batch,), generator=g)
    b = torch.randint(0, 2, (batch,), generator=g)
    loss = FairKLLoss(temperature=temperature, kld=kld, view=view, loss_weight=1.5)
    check_value_and_grads(lambda x: loss(x, y, b), lambda x: 1.5 * ref_fairkl(x, y, b, temperature, kld, view), [f])


def test_fairkl_one_sample_per_label_bias_pair_identical_features_is_zero():
    f = F.normalize(torch.ones(4, 2, 3, dtype=F64), dim=-1)
    y, b = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1])
    assert FairKLLoss(temperature=0.3)(f, y, b).item() == 0.0
    # Distinct features give a non-zero regulariser.
    assert FairKLLoss(temperature=0.3)(unit(4, 2, 3, g=gen()), y, b).abs().item() > 1e-3


def test_fairkl_fully_aligned_batch_has_finite_gradient():
    # No bias-conflicting pairs: the 'pc' / 'nc' groups are empty (mean 0, std 0).
    f = unit(6, 1, 4, g=gen(3)).requires_grad_()
    y = b = torch.tensor([0, 0, 1, 1, 2, 2])
    loss = FairKLLoss()(f, y, b)
    (grad,) = grads(loss, [f])
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    close(loss, ref_fairkl(f, y, b))


def test_gradcheck_fairkl():
    y, b = torch.tensor([0, 0, 1, 1, 0]), torch.tensor([0, 1, 0, 1, 1])
    assert torch.autograd.gradcheck(lambda x: FairKLLoss(temperature=0.5, kld=0.7)(nz(x), y, b), (raw(5, 1, 3),))


def _fairkl_t(f):
    return FairKLLoss(temperature=0.01)(f, torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0, 1, 0, 1, 0, 0]))


@pytest.mark.parametrize('fn', [_fairkl_t], ids=['fairkl'])
def test_finite_at_small_temperature_float32(fn):
    f = close_views(6, 3, 8, seed=30).requires_grad_()
    loss = fn(f)
    (grad,) = grads(loss, [f])
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss) and torch.isfinite(grad).all()


def test_fairkl_batch_permutation_invariance():
    g = gen(31)
    f, perm = unit(8, 2, 5, g=g), torch.randperm(8, generator=g)
    y, b = torch.randint(0, 3, (8,), generator=g), torch.randint(0, 2, (8,), generator=g)
    close(FairKLLoss()(f[perm], y[perm], b[perm]), FairKLLoss()(f, y, b))
    assert (FairKLLoss()(f, y[perm], b) - FairKLLoss()(f, y, b)).abs() > 1e-6


_F = unit(6, 2, 4, g=gen(40))
_Y = torch.tensor([0, 0, 1, 1, 2, 2])


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: FairKLLoss(temperature=0), '`temperature` must be > 0', id='0:`temperature` must be > 0'),
        pytest.param(lambda: FairKLLoss()(2 * _F, _Y, _Y), 'L2-normalised', id='1:L2-normalised'),
        pytest.param(
            lambda: FairKLLoss()(_F[:, 0], _Y, _Y), r'must be shaped \[B, V, D\]', id='2:must be shaped \\[B, V, D\\]'
        ),
        pytest.param(lambda: FairKLLoss()(_F, None, _Y), '`labels` is required', id='3:`labels` is required'),
        pytest.param(lambda: FairKLLoss()(_F, _Y, None), '`bias_labels` is required', id='4:`bias_labels` is required'),
        pytest.param(
            lambda: FairKLLoss()(_F, _Y[:4], _Y),
            r'`labels` must be shaped \[6\]',
            id='5:`labels` must be shaped \\[6\\]',
        ),
        pytest.param(lambda: FairKLLoss(view=2)(_F, _Y, _Y), '`view`=2', id='6:`view`=2'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize('cfg,cls', [pytest.param(dict(type='FairKLLoss'), FairKLLoss, id='cfg0-FairKLLoss')])
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
