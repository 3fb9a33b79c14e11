"""SupConLoss: the HobbitLong reference, masks, hand values, reductions, gradcheck, invariances, finiteness, errors."""

import math

import pytest
import torch

from mmssl_ext.models.losses import EpsSupInfoNCELoss, NTXentLoss, SupConLoss
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
    ref_ntxent_rows_loop,
    ref_ntxent_tf,
    ref_supcon,
    ref_supcon_rows,
    toy,
)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SUPCON_CFGS = [
    ('out', 'all', 'all'),
    ('in', 'all', 'all'),
    ('out', 'one_positive', 'all'),
    ('in', 'one_positive', 'all'),
    ('out', 'only_negatives', 'all'),
    ('in', 'only_negatives', 'all'),
    ('out', 'all', 'one'),
    ('in', 'one_positive', 'one'),
]


@pytest.mark.parametrize('shape', SHAPES + [(8, 1, 16)])
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('cfg', SUPCON_CFGS)
def test_supcon_matches_reference(shape, chunk, cfg):
    summation, denominator, contrast_mode = cfg
    tau = {3: 0.5, 8: 0.1}[shape[0]] if shape[1] != 3 else 0.07
    f = rand_feats(*shape, seed=sum(shape))
    labels = rand_labels(shape[0], seed=shape[0])
    loss = SupConLoss(tau, 0.07, contrast_mode, summation, denominator, chunk_size=chunk)
    check_matches(
        lambda x: loss(x, labels),
        lambda x: ref_supcon(
            x, labels, tau=tau, tau_base=0.07, contrast_mode=contrast_mode, summation=summation, denominator=denominator
        ),
        f,
    )


@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('summation', ['out', 'in'])
@pytest.mark.parametrize('kind', ['asymmetric', 'weighted', 'none'])
def test_supcon_mask_matches_reference(chunk, summation, kind):
    b, tau = 5, 0.2
    f = rand_feats(b, 2, 8, seed=3)
    g = torch.Generator().manual_seed(7)
    if kind == 'asymmetric':
        mask = (torch.rand(b, b, generator=g) > 0.6).to(DT)
        assert not torch.equal(mask, mask.T)
    elif kind == 'weighted':
        mask = torch.rand(b, b, generator=g, dtype=DT) * (torch.rand(b, b, generator=g) > 0.4)
    else:
        mask = None
    loss = SupConLoss(tau, tau, summation=summation, chunk_size=chunk)
    check_matches(
        lambda x: loss(x, mask=mask),
        lambda x: ref_supcon(x, mask=mask, tau=tau, tau_base=tau, summation=summation),
        f,
    )


def test_hand_values_supcon():
    f = toy()
    loss = SupConLoss(1.0, 1.0)
    assert float(loss(f, torch.tensor([0, 1]))) == pytest.approx(0.861995, abs=HAND_ABS)
    assert float(loss(f, torch.tensor([0, 1]))) == pytest.approx(math.log(2 + math.exp(-1)), abs=1e-12)
    assert float(loss(f, torch.tensor([0, 0]))) == pytest.approx(1.195328, abs=HAND_ABS)
    assert float(SupConLoss(1.0, 1.0, summation='in')(f, torch.tensor([0, 0]))) == pytest.approx(math.log(3), abs=1e-12)


@pytest.mark.parametrize('v', [2, 3])
@pytest.mark.parametrize('tau', [0.1, 0.5])
def test_supcon_unsupervised_forms_agree_with_ntxent(v, tau):
    b = 6
    f = rand_feats(b, v, 8, seed=v)
    loss = SupConLoss(tau, tau)
    by_labels = loss(f, torch.arange(b))
    assert_rel(loss(f), by_labels, rtol=1e-12)
    assert_rel(loss(f, mask=torch.eye(b)), by_labels, rtol=1e-12)
    assert_rel(NTXentLoss(tau, reduction='mean')(f), by_labels)
    assert_rel(by_labels, ref_ntxent_rows_loop(f, tau).mean())
    if v == 2:
        assert_rel(by_labels, 0.5 * NTXentLoss(tau, reduction='sum')(f))
        assert_rel(by_labels, 0.5 * ref_ntxent_tf(f, tau))


@pytest.mark.parametrize('chunk', [None, 2])
@pytest.mark.parametrize('summation', ['out', 'in'])
@pytest.mark.parametrize('denominator', ['all', 'one_positive', 'only_negatives'])
def test_gradcheck_supcon(chunk, summation, denominator):
    loss = SupConLoss(0.5, 0.5, summation=summation, denominator_mode=denominator, chunk_size=chunk)
    gradcheck(normalized(lambda f: loss(f, GC_LABELS)), free_inputs(4, 2, 3))


def _supervised_losses():
    return [
        ('supcon', lambda f, y: SupConLoss(0.2, 0.2)(f, y)),
        ('supcon_in', lambda f, y: SupConLoss(0.2, 0.2, summation='in', denominator_mode='one_positive')(f, y)),
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
        ('supcon', lambda f, y: SupConLoss(tau, tau)(f, y), lambda f, y: ref_supcon(f, y, tau=tau, tau_base=tau)),
        (
            'supcon_in_only_neg',
            lambda f, y: SupConLoss(tau, tau, summation='in', denominator_mode='only_negatives', chunk_size=3)(f, y),
            lambda f, y: ref_supcon(f, y, tau=tau, tau_base=tau, summation='in', denominator='only_negatives'),
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
                'supcon',
                lambda f: SupConLoss(0.5, 0.5)(f, NO_POS_LABELS),
                lambda f: ref_supcon_rows(f, NO_POS_LABELS, tau=0.5),
            ),
            (
                'supcon_in',
                lambda f: SupConLoss(0.5, 0.5, summation='in', chunk_size=3)(f, NO_POS_LABELS),
                lambda f: ref_supcon_rows(f, NO_POS_LABELS, tau=0.5, summation='in'),
            ),
            (
                'supcon_one_positive_in',
                lambda f: SupConLoss(0.5, 0.5, summation='in', denominator_mode='one_positive')(f, NO_POS_LABELS),
                lambda f: ref_supcon_rows(f, NO_POS_LABELS, tau=0.5, summation='in', denominator='one_positive'),
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


@pytest.mark.parametrize('summation', ['out', 'in'])
def test_only_negatives_without_negatives_has_finite_gradient(summation):
    f = rand_feats(3, 2, 5, seed=61)
    x = f.clone().requires_grad_(True)
    out = SupConLoss(0.5, 0.5, summation=summation, denominator_mode='only_negatives')(x, torch.tensor([0, 0, 0]))
    (g,) = torch.autograd.grad(out, x)
    assert float(out) == 0.0
    assert torch.isfinite(g).all()


F_OK = rand_feats(4, 2, 6, seed=70)
Y_OK = torch.tensor([0, 1, 0, 1])


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: SupConLoss()(F_OK[:, 0]), r'shaped \[B, V, D\]', id='<lambda>-shaped \\[B, V, D\\]0'),
        pytest.param(lambda: SupConLoss()(2 * F_OK, Y_OK), 'L2-normalised', id='<lambda>-L2-normalised0'),
        pytest.param(lambda: SupConLoss()(F_OK, Y_OK, mask=torch.eye(4)), 'not both', id='<lambda>-not both0'),
        pytest.param(lambda: SupConLoss(require_labels=True)(F_OK), 'require_labels', id='<lambda>-require_labels'),
        pytest.param(
            lambda: SupConLoss()(F_OK, Y_OK[:3]),
            r'`labels` must be shaped \[4\]',
            id='<lambda>-`labels` must be shaped \\[4\\]0',
        ),
        pytest.param(lambda: SupConLoss()(F_OK, Y_OK.float()), 'integer', id='<lambda>-integer'),
        pytest.param(
            lambda: SupConLoss()(F_OK, mask=torch.eye(3)), '`mask` must be shaped', id='<lambda>-`mask` must be shaped'
        ),
        pytest.param(lambda: SupConLoss(contrast_mode='many'), 'contrast_mode', id='<lambda>-contrast_mode0'),
        pytest.param(lambda: SupConLoss(denominator_mode='some'), 'denominator_mode', id='<lambda>-denominator_mode'),
        pytest.param(lambda: SupConLoss(summation='mid'), 'summation', id='<lambda>-summation'),
        pytest.param(lambda: SupConLoss(temperature=0.0), 'temperature', id='<lambda>-temperature0'),
        pytest.param(lambda: SupConLoss(base_temperature=-1.0), 'base_temperature', id='<lambda>-base_temperature'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls',
    [pytest.param(dict(type='SupConLoss', temperature=0.1, summation='in'), SupConLoss, id='cfg0-SupConLoss')],
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
