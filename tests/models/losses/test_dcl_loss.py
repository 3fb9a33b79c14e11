"""DCLLoss and DCLW: the raminnakhli reference, reductions to NT-Xent, gradcheck, invariance, finiteness, errors."""

import math

import pytest
import torch

from mmssl_ext.models.losses import DCLLoss, EpsSupInfoNCELoss, NTXentLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.supcon_family_helpers import (
    DT,
    RTOL,
    SHAPES,
    assert_rel,
    check_matches,
    duplicated_feats,
    free_inputs,
    gradcheck,
    named,
    normalized,
    rand_feats,
    ref_ntxent_rows_loop,
)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SMALL_NUM = math.log(1e-45)  # raminnakhli DCL's mask constant


def dclw_weights(f, sigma):
    with torch.no_grad():
        s = (f[:, 0] * f[:, 1]).sum(-1)
        return 2 - f.shape[0] * torch.softmax(s / sigma, dim=0)


def ref_dcl_one_way_rows(z1, z2, tau, weights=None):
    """raminnakhli/Decoupled-Contrastive-Learning one-way loss (positive removed from the denominator)."""
    b = z1.shape[0]
    cross = z1 @ z2.T / tau
    pos = torch.diagonal(cross)
    if weights is not None:
        pos = pos * weights
    neg_sim = torch.cat([z1 @ z1.T / tau, cross], dim=1)
    neg_mask = torch.eye(b, dtype=DT).repeat(1, 2)
    neg = torch.logsumexp(neg_sim + neg_mask * SMALL_NUM, dim=1)
    return -pos + neg


def ref_dcl(f, tau, weight_fn=None, sigma=0.5, reduction='sum'):
    b, v, _ = f.shape
    if v == 2:
        w = dclw_weights(f, sigma) if weight_fn == 'vmf' else None
        one = ref_dcl_one_way_rows(f[:, 0], f[:, 1], tau, w).mean()
        two = ref_dcl_one_way_rows(f[:, 1], f[:, 0], tau, w).mean()
        total = one + two
    else:  # loop form: mean positive similarity, negatives all views of the other samples
        rows = []
        for vi in range(v):
            for i in range(b):
                a = f[i, vi]
                pos = torch.stack([a @ f[i, u] / tau for u in range(v) if u != vi]).mean()
                neg = torch.logsumexp(torch.stack([a @ f[j, u] / tau for u in range(v) for j in range(b) if j != i]), 0)
                rows.append(neg - pos)
        total = torch.stack(rows).mean() * v
    return total if reduction == 'sum' else total / v


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('tau', [0.1, 0.5])
@pytest.mark.parametrize('reduction', ['sum', 'mean'])
def test_dcl_matches_reference(shape, chunk, tau, reduction):
    f = rand_feats(*shape, seed=sum(shape) + 2)
    loss = DCLLoss(tau, reduction=reduction, chunk_size=chunk)
    check_matches(loss, lambda x: ref_dcl(x, tau, reduction=reduction), f)


@pytest.mark.parametrize('shape', [(3, 2, 4), (8, 2, 16)])
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('tau,sigma', [(0.1, 0.5), (0.5, 0.2)])
def test_dclw_matches_reference(shape, chunk, tau, sigma):
    f = rand_feats(*shape, seed=sum(shape) + 3)
    w = dclw_weights(f, sigma)
    assert abs(float(w.mean()) - 1) < 1e-12 and float(w.std()) > 1e-3  # non-trivial weights, mean 1
    loss = DCLLoss(tau, weight_fn='vmf', sigma=sigma, chunk_size=chunk)
    check_matches(loss, lambda x: ref_dcl(x, tau, 'vmf', sigma), f)


def rotation(d, theta):
    """cos(theta) I + sin(theta) J with J block-diagonal [[0, -1], [1, 0]]: z . R z = cos(theta) for unit z."""
    r = math.cos(theta) * torch.eye(d, dtype=DT)
    for i in range(0, d, 2):
        r[i, i + 1] = -math.sin(theta)
        r[i + 1, i] = math.sin(theta)
    return r


@pytest.mark.parametrize('chunk', [None, 3])
def test_dclw_with_equal_positive_similarities_is_dcl(chunk):
    z1 = rand_feats(6, 1, 8, seed=8)[:, 0]
    z2 = z1 @ rotation(8, 0.7).T
    f = torch.stack([z1, z2], 1)
    s = (f[:, 0] * f[:, 1]).sum(-1)
    torch.testing.assert_close(s, torch.full_like(s, math.cos(0.7)), rtol=0, atol=1e-12)
    dcl = DCLLoss(0.2, chunk_size=chunk)(f)
    assert_rel(DCLLoss(0.2, weight_fn='vmf', chunk_size=chunk)(f), dcl, rtol=1e-10)
    # sanity: on generic features the weights do matter
    g = rand_feats(6, 2, 8, seed=8)
    assert abs(float(DCLLoss(0.2, weight_fn='vmf')(g) - DCLLoss(0.2)(g))) > 1e-4


@pytest.mark.parametrize('tau', [0.1, 0.5])
def test_dcl_is_ntxent_minus_positive_share(tau):
    b = 6
    f = rand_feats(b, 2, 8, seed=17)
    nt_rows = ref_ntxent_rows_loop(f, tau)
    dcl_rows = torch.cat(
        [ref_dcl_one_way_rows(f[:, 0], f[:, 1], tau), ref_dcl_one_way_rows(f[:, 1], f[:, 0], tau)]
    )  # view-major, like nt_rows
    share = []
    for vi in range(2):
        for i in range(b):
            a = f[i, vi]
            s_pos = a @ f[i, 1 - vi] / tau
            neg = sum(torch.exp(a @ f[j, u] / tau) for u in range(2) for j in range(b) if j != i)
            share.append(torch.log(1 + torch.exp(s_pos) / neg))
    share = torch.stack(share)
    torch.testing.assert_close(dcl_rows, nt_rows - share, rtol=1e-12, atol=1e-12)
    assert_rel(DCLLoss(tau, reduction='mean')(f), NTXentLoss(tau)(f) - share.mean())
    assert_rel(DCLLoss(tau, reduction='sum')(f), NTXentLoss(tau, reduction='sum')(f) - 2 * share.mean())


@pytest.mark.parametrize('chunk', [None, 2])
def test_gradcheck_dcl(chunk):
    gradcheck(normalized(DCLLoss(0.3, chunk_size=chunk)), free_inputs(3, 2, 3, seed=4))


@pytest.mark.parametrize('loss', [DCLLoss(0.2), DCLLoss(0.2, weight_fn='vmf')], ids=['dcl', 'dclw'])
def test_unsupervised_permutation_invariance(loss):
    f = duplicated_feats(7, 2, 6, seed=41)
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(2))
    assert_rel(loss(f[perm]), loss(f), rtol=1e-10)
    # but re-pairing views across samples is not a symmetry: the loss moves
    g = f.clone()
    g[0] = torch.stack([f[3, 0], f[0, 1]])
    assert abs(float(loss(g) - loss(f))) > 1e-4


def _all_losses_small_tau(tau):
    return [
        ('dcl', lambda f, y: DCLLoss(tau, chunk_size=3)(f), lambda f, y: ref_dcl(f, tau)),
        ('dclw', lambda f, y: DCLLoss(tau, weight_fn='vmf')(f), lambda f, y: ref_dcl(f, tau, 'vmf')),
    ]


@pytest.mark.parametrize('dtype', [torch.float32, DT], ids=['fp32', 'fp64'])
@pytest.mark.parametrize('name,fn,ref', named(_all_losses_small_tau(0.01)))
def test_small_temperature_is_finite(dtype, name, fn, ref):
    f64 = rand_feats(6, 2, 8, seed=50)
    labels = torch.tensor([0, 1, 0, 2, 1, 2])
    x = f64.to(dtype).requires_grad_(True)
    out = fn(x, labels)
    (g,) = torch.autograd.grad(out, x)
    assert out.dtype == dtype
    assert torch.isfinite(out) and torch.isfinite(g).all()
    assert float(g.abs().max()) > 0
    expected = ref(f64, labels)
    assert_rel(out, expected, rtol=1e-3 if dtype == torch.float32 else RTOL)


F_OK = rand_feats(4, 2, 6, seed=70)
Y_OK = torch.tensor([0, 1, 0, 1])


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: DCLLoss()(F_OK[:, 0]), r'shaped \[B, V, D\]', id='<lambda>-shaped \\[B, V, D\\]2'),
        pytest.param(lambda: DCLLoss()(2 * F_OK), 'L2-normalised', id='<lambda>-L2-normalised3'),
        pytest.param(
            lambda: DCLLoss(weight_fn='vmf')(rand_feats(4, 3, 6)), 'exactly 2 views', id='<lambda>-exactly 2 views'
        ),
        pytest.param(lambda: DCLLoss(weight_fn='exp'), 'weight_fn', id='<lambda>-weight_fn'),
        pytest.param(lambda: DCLLoss(reduction='none'), 'reduction', id='<lambda>-reduction1'),
        pytest.param(lambda: DCLLoss(temperature=0), 'temperature', id='<lambda>-temperature2'),
        pytest.param(lambda: DCLLoss(sigma=0), 'sigma', id='<lambda>-sigma'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls', [pytest.param(dict(type='DCLLoss', temperature=0.1, weight_fn='vmf'), DCLLoss, id='cfg3-DCLLoss')]
)
def test_registry_builds(cfg, cls):
    loss = MODELS.build(dict(cfg))
    assert type(loss) is cls
    assert loss.temperature == 0.1
    for key, value in cfg.items():
        if key != 'type' and key != 'epsilon':
            assert getattr(loss, key) == value
    if cls is EpsSupInfoNCELoss:
        assert float(loss.epsilon) == 0.25
