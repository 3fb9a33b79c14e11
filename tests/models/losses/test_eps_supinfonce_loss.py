"""EpsSupInfoNCELoss: EIDOSLAB reference, learnable epsilon, hand values, reductions to SupCon, gradcheck, errors."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from mmssl_ext.models.losses import EpsSupInfoNCELoss, SupConLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.supcon_family_helpers import (
    DT,
    GC_LABELS,
    HAND_ABS,
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
    ref_ntxent_tf,
    toy,
    view_major,
)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def ref_eps_rows(f, labels, tau, epsilon, form, contrast_mode='all'):
    """EIDOSLAB unbiased-contrastive-learning formulation (row max shift, float masks, + 1e-6)."""
    b, v, _ = f.shape
    contrast = view_major(f)
    anchor = f[:, 0] if contrast_mode == 'one' else contrast
    a_n = 1 if contrast_mode == 'one' else v
    logits = anchor @ contrast.T / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    mask = (labels[:, None] == labels[None, :]).to(DT).repeat(a_n, v)
    logits_mask = torch.ones_like(mask)
    for r in range(a_n * b):
        logits_mask[r, r] = 0.0
    mask = mask * logits_mask
    neg_mask = logits_mask - mask
    omega = torch.exp(-epsilon) if isinstance(epsilon, torch.Tensor) else math.exp(-epsilon)
    exp_logits = torch.exp(logits)
    neg_sum = (exp_logits * neg_mask).sum(1, keepdim=True)
    n_raw = mask.sum(1)
    has_pos = n_raw > 0
    n = torch.clamp(n_raw, min=1.0)
    if form == 'out':
        log_prob = logits - torch.log(omega * exp_logits + neg_sum + 1e-6)
        return -(mask * log_prob).sum(1) / n
    if form == 'supcon':
        denom = (exp_logits * (omega * mask + neg_mask)).sum(1, keepdim=True) + 1e-6
        log_prob = logits - torch.log(denom)
        return -(mask * log_prob).sum(1) / n
    pos_sum = torch.where(has_pos, (exp_logits * mask).sum(1), torch.ones_like(n))
    row = -(torch.log(pos_sum) - torch.log(omega / n * pos_sum + neg_sum.squeeze(1)))
    return torch.where(has_pos, row, torch.zeros_like(row))


def ref_eps(f, labels, tau, tau_base, epsilon, form, contrast_mode='all'):
    return tau / tau_base * ref_eps_rows(f, labels, tau, epsilon, form, contrast_mode).mean()


@pytest.mark.parametrize('shape', SHAPES + [(8, 1, 16)])
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('form', ['out', 'in', 'supcon'])
@pytest.mark.parametrize('epsilon', [0.0, 0.5])
def test_eps_supinfonce_matches_reference(shape, chunk, form, epsilon):
    tau = 0.1 if shape[0] == 8 else 0.5
    f = rand_feats(*shape, seed=sum(shape) + 4)
    labels = rand_labels(shape[0], seed=shape[0] + 1)
    loss = EpsSupInfoNCELoss(tau, 0.07, epsilon=epsilon, form=form, chunk_size=chunk)
    check_matches(lambda x: loss(x, labels), lambda x: ref_eps(x, labels, tau, 0.07, epsilon, form), f)


@pytest.mark.parametrize('form', ['out', 'in', 'supcon'])
@pytest.mark.parametrize('chunk', [None, 2])
def test_eps_supinfonce_contrast_mode_one(form, chunk):
    f = rand_feats(6, 3, 5, seed=9)
    labels = rand_labels(6, seed=9)
    loss = EpsSupInfoNCELoss(0.3, 0.3, epsilon=0.2, form=form, contrast_mode='one', chunk_size=chunk)
    check_matches(lambda x: loss(x, labels), lambda x: ref_eps(x, labels, 0.3, 0.3, 0.2, form, contrast_mode='one'), f)


@pytest.mark.parametrize('form', ['out', 'in', 'supcon'])
@pytest.mark.parametrize('chunk', [None, 3])
def test_eps_learnable_epsilon_matches_reference(form, chunk):
    f = rand_feats(6, 2, 8, seed=21)
    labels = rand_labels(6, seed=21)
    loss = EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.4, learnable_epsilon=True, form=form, chunk_size=chunk)
    assert isinstance(loss.epsilon, torch.nn.Parameter)
    assert [n for n, _ in loss.named_parameters()] == ['epsilon']
    loss.double()
    x = f.clone().requires_grad_(True)
    out = loss(x, labels)
    gx, ge = torch.autograd.grad(out, [x, loss.epsilon])
    x2 = f.clone().requires_grad_(True)
    e2 = torch.tensor(0.4, dtype=DT, requires_grad=True)
    out2 = ref_eps(x2, labels, 0.2, 0.2, e2, form)
    gx2, ge2 = torch.autograd.grad(out2, [x2, e2])
    assert_rel(out, out2)
    assert_rel(ge, ge2)
    assert abs(float(ge2)) > 1e-4
    torch.testing.assert_close(gx, gx2, rtol=RTOL, atol=1e-9)


def test_hand_values_eps():
    f = toy()
    labels = torch.tensor([0, 1])
    assert float(EpsSupInfoNCELoss(1.0, 1.0, epsilon=0.0)(f, labels)) == pytest.approx(0.861996, abs=HAND_ABS)
    assert float(EpsSupInfoNCELoss(1.0, 1.0, epsilon=1.0)(f, labels)) == pytest.approx(0.551446, abs=HAND_ABS)
    # no +1e-6 in the 'in' form: exactly SupCon's log(2 + e^-1)
    assert float(EpsSupInfoNCELoss(1.0, 1.0, form='in')(f, labels)) == pytest.approx(
        math.log(2 + math.exp(-1)), abs=1e-12
    )


def test_eps_zero_with_multiple_positives_differs_from_supcon():
    f = rand_feats(6, 2, 8, seed=13)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    eps = float(EpsSupInfoNCELoss(0.5, 0.5, epsilon=0.0)(f, labels))
    sup = float(SupConLoss(0.5, 0.5)(f, labels))
    assert eps < sup - 1e-2  # other positives leave the denominator
    assert_rel(eps, ref_eps(f, labels, 0.5, 0.5, 0.0, 'out'))


@pytest.mark.parametrize('tau', [0.5, 1.0])
@pytest.mark.parametrize('form', ['out', 'supcon'])
def test_eps_zero_one_positive_is_supcon(tau, form):
    f = rand_feats(6, 2, 8, seed=4)
    labels = torch.arange(6)
    eps = EpsSupInfoNCELoss(tau, tau, epsilon=0.0, form=form)(f, labels)
    assert_rel(eps, SupConLoss(tau, tau)(f, labels))
    assert_rel(eps, 0.5 * ref_ntxent_tf(f, tau))


def test_eps_in_form_zero_one_positive_is_supcon():
    f = rand_feats(6, 2, 8, seed=4)
    labels = torch.arange(6)
    assert_rel(EpsSupInfoNCELoss(0.1, 0.1, form='in')(f, labels), SupConLoss(0.1, 0.1)(f, labels), rtol=1e-10)


@pytest.mark.parametrize('chunk', [None, 2])
@pytest.mark.parametrize('form', ['out', 'in', 'supcon'])
def test_gradcheck_eps(chunk, form):
    loss = EpsSupInfoNCELoss(0.5, 0.5, epsilon=0.3, form=form, chunk_size=chunk)
    gradcheck(normalized(lambda f: loss(f, GC_LABELS)), free_inputs(4, 2, 3, seed=5))


@pytest.mark.parametrize('chunk', [None, 2])
def test_gradcheck_eps_learnable(chunk):
    loss = EpsSupInfoNCELoss(0.5, 0.5, epsilon=0.3, learnable_epsilon=True, chunk_size=chunk).double()

    def fn(x, e):
        return functional_call(loss, {'epsilon': e}, (F.normalize(x, dim=-1), GC_LABELS))

    gradcheck(fn, free_inputs(4, 2, 3, seed=6), torch.tensor(0.3, dtype=DT))


def _supervised_losses():
    return [
        ('eps_out', lambda f, y: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3)(f, y)),
        ('eps_in', lambda f, y: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3, form='in')(f, y)),
        ('eps_supcon', lambda f, y: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3, form='supcon')(f, y)),
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
        (
            'eps',
            lambda f, y: EpsSupInfoNCELoss(tau, tau, epsilon=0.5, chunk_size=3)(f, y),
            lambda f, y: ref_eps(f, y, tau, tau, 0.5, 'out'),
        ),
        (
            'eps_in',
            lambda f, y: EpsSupInfoNCELoss(tau, tau, epsilon=0.5, form='in')(f, y),
            lambda f, y: ref_eps(f, y, tau, tau, 0.5, 'in'),
        ),
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
                'eps_out',
                lambda f: EpsSupInfoNCELoss(0.5, 0.5, epsilon=0.2)(f, NO_POS_LABELS),
                lambda f: ref_eps_rows(f, NO_POS_LABELS, 0.5, 0.2, 'out'),
            ),
            (
                'eps_in',
                lambda f: EpsSupInfoNCELoss(0.5, 0.5, epsilon=0.2, form='in', chunk_size=3)(f, NO_POS_LABELS),
                lambda f: ref_eps_rows(f, NO_POS_LABELS, 0.5, 0.2, 'in'),
            ),
            (
                'eps_supcon',
                lambda f: EpsSupInfoNCELoss(0.5, 0.5, epsilon=0.2, form='supcon')(f, NO_POS_LABELS),
                lambda f: ref_eps_rows(f, NO_POS_LABELS, 0.5, 0.2, 'supcon'),
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
        pytest.param(lambda: EpsSupInfoNCELoss()(F_OK), 'supervised', id='<lambda>-supervised'),
        pytest.param(
            lambda: EpsSupInfoNCELoss()(F_OK[:, 0], Y_OK), r'shaped \[B, V, D\]', id='<lambda>-shaped \\[B, V, D\\]3'
        ),
        pytest.param(lambda: EpsSupInfoNCELoss()(2 * F_OK, Y_OK), 'L2-normalised', id='<lambda>-L2-normalised4'),
        pytest.param(lambda: EpsSupInfoNCELoss()(F_OK, Y_OK, mask=torch.eye(4)), 'not both', id='<lambda>-not both1'),
        pytest.param(
            lambda: EpsSupInfoNCELoss()(F_OK, torch.tensor([0, 1])),
            r'`labels` must be shaped \[4\]',
            id='<lambda>-`labels` must be shaped \\[4\\]1',
        ),
        pytest.param(
            lambda: EpsSupInfoNCELoss(contrast_mode='many')(F_OK, Y_OK), 'contrast_mode', id='<lambda>-contrast_mode1'
        ),
        pytest.param(lambda: EpsSupInfoNCELoss(form='both'), 'form', id='<lambda>-form'),
        pytest.param(lambda: EpsSupInfoNCELoss(temperature=0.0), 'temperature', id='<lambda>-temperature3'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls',
    [
        pytest.param(
            dict(type='EpsSupInfoNCELoss', temperature=0.1, epsilon=0.25, form='supcon'),
            EpsSupInfoNCELoss,
            id='cfg4-EpsSupInfoNCELoss',
        )
    ],
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
