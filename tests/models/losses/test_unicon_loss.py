"""UniConLoss: the UniCon reference, reduction to SupCon, gradcheck, invariances, finiteness, errors."""

import pytest
import torch

from mmssl_ext.models.losses import EpsSupInfoNCELoss, SupConLoss, UniConLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.supcon_family_helpers import (
    DT,
    GC_LABELS,
    NO_POS_LABELS,
    RTOL,
    SHAPES,
    assert_rel,
    check_matches,
    free_inputs,
    gradcheck,
    named,
    normalized,
    rand_feats,
    rand_labels,
    ref_supcon,
    ref_supcon_rows,
    view_major,
)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def ref_unicon(f, u, labels, tau, tau_base):
    """hannaiiyanggit/UniCon HEAD: real views anchor against the universum only, own universum excluded."""
    b, v, _ = f.shape
    anchors, contrast = view_major(f), view_major(u)
    logits = anchors @ contrast.T / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    mask = (labels[:, None] == labels[None, :]).to(DT).repeat(v, v)
    logits_mask = 1 - torch.eye(v * b, dtype=DT)
    mask = mask * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
    n = mask.sum(1)
    n = torch.where(n < 1e-6, torch.ones_like(n), n)
    return -(tau / tau_base) * ((mask * log_prob).sum(1) / n).mean()


@pytest.mark.parametrize('shape', SHAPES + [(8, 1, 16)])
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('tau,tau_base', [(0.1, 0.1), (0.5, 0.07)])
def test_unicon_matches_reference(shape, chunk, tau, tau_base):
    f = rand_feats(*shape, seed=sum(shape) + 5)
    u = rand_feats(*shape, seed=sum(shape) + 6)
    labels = rand_labels(shape[0], seed=shape[0] + 2)
    loss = UniConLoss(tau, tau_base, chunk_size=chunk)
    check_matches(
        lambda x, uu: loss(x, uu, labels),
        lambda x, uu: ref_unicon(x, uu, labels, tau, tau_base),
        f,
        u,
    )


@pytest.mark.parametrize('shape', [(6, 2, 8), (5, 3, 4)])
@pytest.mark.parametrize('tau', [0.1, 0.5])
def test_unicon_with_features_as_universum_is_supcon(shape, tau):
    f = rand_feats(*shape, seed=31)
    labels = rand_labels(shape[0], seed=31)
    assert_rel(UniConLoss(tau, tau)(f, f, labels), SupConLoss(tau, tau)(f, labels))


@pytest.mark.parametrize('chunk', [None, 2])
def test_gradcheck_unicon(chunk):
    loss = UniConLoss(0.5, 0.5, chunk_size=chunk)
    gradcheck(normalized(lambda f, u: loss(f, u, GC_LABELS)), free_inputs(4, 2, 3, seed=7), free_inputs(4, 2, 3, 8))


def _supervised_losses():
    return [
        ('unicon', lambda f, y: UniConLoss(0.2, 0.2)(f, f.flip(-1), y)),
    ]


@pytest.mark.parametrize('name,fn', named(_supervised_losses()))
def test_supervised_invariances(name, fn):
    b = 7
    f = rand_feats(b, 2, 6, seed=40)
    labels = torch.tensor([0, 1, 2, 0, 1, 1, 3])
    base = fn(f, labels)
    perm = torch.randperm(b, generator=torch.Generator().manual_seed(1))
    assert_rel(fn(f[perm], labels[perm]), base, rtol=1e-10)
    relabel = torch.tensor([7, 3, 11, 0])  # a bijection of {0, 1, 2, 3}
    assert_rel(fn(f, relabel[labels]), base, rtol=1e-10)
    # and the labels matter: a different partition changes the loss
    assert abs(float(fn(f, torch.tensor([0, 0, 1, 1, 2, 2, 3])) - base)) > 1e-4


def _all_losses_small_tau(tau):
    return [
        ('unicon', lambda f, y: UniConLoss(tau, tau)(f, f, y), lambda f, y: ref_supcon(f, y, tau=tau, tau_base=tau)),
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


@pytest.mark.parametrize(
    'name,fn,ref',
    named(
        [
            (
                'unicon',
                lambda f: UniConLoss(0.5, 0.5)(f, f, NO_POS_LABELS),
                lambda f: ref_supcon_rows(f, NO_POS_LABELS, tau=0.5),
            ),
        ]
    ),
)
def test_rows_without_positives(name, fn, ref):
    f = rand_feats(4, 1, 5, seed=60)
    rows = ref(f)
    assert float(rows[0]) == 0.0 and float(rows[3]) == 0.0  # samples 0 and 3 have no positive
    assert float(rows[1]) > 0 and float(rows[2]) > 0
    check_matches(fn, lambda x: ref(x).mean(), f)
    assert_rel(fn(f), rows[1:3].sum() / 4)  # those rows count in the mean with 0


F_OK = rand_feats(4, 2, 6, seed=70)
Y_OK = torch.tensor([0, 1, 0, 1])


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: UniConLoss()(F_OK, F_OK, None), 'required', id='<lambda>-required'),
        pytest.param(
            lambda: UniConLoss()(F_OK, F_OK, Y_OK[:2]),
            r'`labels` must be shaped \[4\]',
            id='<lambda>-`labels` must be shaped \\[4\\]2',
        ),
        pytest.param(
            lambda: UniConLoss()(F_OK[:, 0], F_OK[:, 0], Y_OK),
            r'shaped \[B, V, D\]',
            id='<lambda>-shaped \\[B, V, D\\]4',
        ),
        pytest.param(
            lambda: UniConLoss()(F_OK, 2 * F_OK, Y_OK),
            '`universum` must be L2-normalised',
            id='<lambda>-`universum` must be L2-normalised',
        ),
        pytest.param(
            lambda: UniConLoss()(F_OK, F_OK[:, :1], Y_OK),
            '`universum` must match',
            id='<lambda>-`universum` must match',
        ),
        pytest.param(lambda: UniConLoss(temperature=-1.0), 'temperature', id='<lambda>-temperature4'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls', [pytest.param(dict(type='UniConLoss', temperature=0.1), UniConLoss, id='cfg5-UniConLoss')]
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
