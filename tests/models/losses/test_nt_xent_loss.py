"""NTXentLoss: the google-research and loop references, hand values (with DCL), gradcheck, invariance, errors."""

import math

import pytest
import torch

from mmssl_ext.models.losses import DCLLoss, EpsSupInfoNCELoss, NTXentLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.supcon_family_helpers import (
    DT,
    HAND_ABS,
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
    ref_ntxent_tf,
    toy,
)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('tau', [0.1, 0.5])
@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_ntxent_matches_reference(shape, chunk, tau, reduction):
    f = rand_feats(*shape, seed=sum(shape) + 1)
    v = shape[1]
    loss = NTXentLoss(tau, reduction=reduction, chunk_size=chunk)

    def ref(x):
        if v == 2 and reduction == 'sum':
            return ref_ntxent_tf(x, tau)
        rows = ref_ntxent_rows_loop(x, tau).mean()
        return rows * v if reduction == 'sum' else rows

    check_matches(loss, ref, f)


def test_hand_values_ntxent_and_dcl():
    f = toy()
    assert float(NTXentLoss(1.0, reduction='mean')(f)) == pytest.approx(0.861995, abs=HAND_ABS)
    assert float(NTXentLoss(1.0, reduction='sum')(f)) == pytest.approx(2 * 0.8619948040582511, abs=1e-12)
    assert float(ref_ntxent_tf(f, 1.0)) == pytest.approx(2 * 0.861995, abs=2 * HAND_ABS)
    assert float(DCLLoss(1.0, reduction='mean')(f)) == pytest.approx(0.313262, abs=HAND_ABS)
    assert float(DCLLoss(1.0, reduction='sum')(f)) == pytest.approx(0.626523, abs=HAND_ABS)
    assert float(DCLLoss(1.0)(f)) == pytest.approx(2 * math.log(1 + math.exp(-1)), abs=1e-12)


@pytest.mark.parametrize('chunk', [None, 2])
def test_gradcheck_ntxent(chunk):
    gradcheck(normalized(NTXentLoss(0.3, chunk_size=chunk)), free_inputs(3, 2, 3, seed=1))


@pytest.mark.parametrize('loss', [NTXentLoss(0.2)], ids=['ntxent'])
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
        ('ntxent', lambda f, y: NTXentLoss(tau)(f), lambda f, y: ref_ntxent_rows_loop(f, tau).mean()),
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
        pytest.param(lambda: NTXentLoss()(F_OK[:, 0]), r'shaped \[B, V, D\]', id='<lambda>-shaped \\[B, V, D\\]1'),
        pytest.param(lambda: NTXentLoss()(F_OK[:, :1]), 'at least 2 views', id='<lambda>-at least 2 views0'),
        pytest.param(lambda: NTXentLoss()(2 * F_OK), 'L2-normalised', id='<lambda>-L2-normalised1'),
        pytest.param(lambda: NTXentLoss(reduction='none'), 'reduction', id='<lambda>-reduction0'),
        pytest.param(lambda: NTXentLoss(temperature=-0.1), 'temperature', id='<lambda>-temperature1'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls',
    [pytest.param(dict(type='NTXentLoss', temperature=0.1, reduction='sum'), NTXentLoss, id='cfg1-NTXentLoss')],
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
