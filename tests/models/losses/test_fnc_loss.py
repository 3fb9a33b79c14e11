"""FNCLoss and detect_false_negatives: the google-research reference, reductions to SimCLR, gradcheck, errors."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.losses import EpsSupInfoNCELoss, FNCLoss, NTXentLoss
from mmssl_ext.models.losses.fnc_loss import detect_false_negatives
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
    ref_ntxent_tf,
    view_major,
)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def ref_fnc_sets(f, topk, threshold):
    """google-research/fnc detection: max over the sample's views, own columns at -1e9, top-k over threshold."""
    b, v, _ = f.shape
    cols = view_major(f).detach()
    sets = []
    for i in range(b):
        scores = []
        for c in range(v * b):
            if c % b == i:
                scores.append(-1e9)
            else:
                scores.append(max(float(f[i, u].detach() @ cols[c]) for u in range(v)))
        order = sorted(range(v * b), key=lambda c: -scores[c])[:topk]
        sets.append({c for c in order if scores[c] > threshold})
    return sets


def ref_fnc_rows(f, tau, topk, threshold, mode):
    b, v, _ = f.shape
    cols = view_major(f)
    sets = ref_fnc_sets(f, topk, threshold)
    rows = []
    for vi in range(v):
        for i in range(b):
            a_idx = vi * b + i
            a = cols[a_idx]
            fn = sets[i]
            own = [u * b + i for u in range(v) if u != vi]
            den = [c for c in range(v * b) if c != a_idx and not (mode == 'eliminate' and c in fn)]
            lse = torch.logsumexp(torch.stack([a @ cols[c] / tau for c in den]), 0)
            pos = own + sorted(fn) if mode == 'attract' else own
            rows.append(-torch.stack([a @ cols[c] / tau for c in pos]).sum() / len(pos) + lse)
    return torch.stack(rows)


def ref_fnc(f, tau, topk, threshold, mode):
    """(2 / V) * sum over anchor views of the mean over samples = 2 * mean of every row."""
    return 2 * ref_fnc_rows(f, tau, topk, threshold, mode).mean()


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('mode', ['attract', 'eliminate'])
@pytest.mark.parametrize('topk,threshold', [(10, 0.3), (2, 0.0), (3, 0.6)])
def test_fnc_matches_reference(shape, chunk, mode, topk, threshold):
    tau = 0.1 if shape[0] == 8 else 0.5
    f = duplicated_feats(*shape, seed=sum(shape) + 7)
    sets = ref_fnc_sets(f, topk, threshold)
    assert sum(len(s) for s in sets) > 0  # something is detected
    loss = FNCLoss(tau, mode, topk, threshold, chunk_size=chunk)
    check_matches(loss, lambda x: ref_fnc(x, tau, topk, threshold, mode), f)


def test_fnc_detection_matches_reference():
    f = duplicated_feats(8, 3, 4, seed=1)
    contrast = view_major(f)
    for topk, threshold in [(10, 0.3), (2, 0.0), (5, 0.8), (0, 0.0)]:
        got = detect_false_negatives(f, contrast, 0, 8, topk, threshold)
        got_sets = [{int(c) for c in row if c >= 0} for row in got]
        assert got_sets == ref_fnc_sets(f, topk, threshold)


@pytest.mark.parametrize('mode', ['attract', 'eliminate'])
@pytest.mark.parametrize('topk,threshold', [(10, 1.5), (0, -1.0)])
def test_fnc_without_detection_is_simclr(mode, topk, threshold):
    f = duplicated_feats(6, 2, 8, seed=3)
    expected = ref_ntxent_tf(f, 0.1)
    got = FNCLoss(0.1, mode, topk, threshold)(f)
    assert_rel(got, expected)
    assert_rel(got, NTXentLoss(0.1, reduction='sum')(f))


def test_fnc_detects_a_duplicate_and_attraction_lowers_the_loss():
    b = 6
    f = duplicated_feats(b, 2, 16, seed=0, noise=0.02)
    fn = detect_false_negatives(f, view_major(f), 0, b, 10, 0.7)
    sets = [{int(c) for c in row if c >= 0} for row in fn]
    assert sets[0] == {1, b + 1} and sets[1] == {0, b}
    assert all(not s for s in sets[2:])
    simclr = FNCLoss(0.1, topk=0)(f)
    attract = FNCLoss(0.1, 'attract', 10, 0.7)(f)
    assert float(attract) < float(simclr) - 1e-3
    assert_rel(simclr, ref_ntxent_tf(f, 0.1))


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_fnc_eliminate_at_most_simclr(seed):
    f = duplicated_feats(6, 3, 8, seed=seed)
    elim = FNCLoss(0.2, 'eliminate', 4, 0.2)(f)
    simclr = FNCLoss(0.2, 'eliminate', 0, 0.2)(f)
    assert float(elim) < float(simclr)
    rows_e = ref_fnc_rows(f, 0.2, 4, 0.2, 'eliminate')
    rows_s = ref_ntxent_rows_loop(f, 0.2)
    assert (rows_e <= rows_s + 1e-12).all()


@pytest.mark.parametrize('chunk', [None, 2])
@pytest.mark.parametrize('mode', ['attract', 'eliminate'])
def test_gradcheck_fnc(chunk, mode):
    x = free_inputs(4, 2, 3, seed=9)
    x[1] = x[0] + 0.01  # a false negative far above the threshold
    f = F.normalize(x, dim=-1)
    sets = ref_fnc_sets(f, 3, 0.9)
    assert {1, 5} <= sets[0]
    loss = FNCLoss(0.5, mode, topk=3, threshold=0.9, chunk_size=chunk)
    gradcheck(normalized(loss), x)


@pytest.mark.parametrize('loss', [FNCLoss(0.2, topk=3, threshold=0.2)], ids=['fnc'])
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
        (
            'fnc',
            lambda f, y: FNCLoss(tau, topk=3, threshold=0.3)(f),
            lambda f, y: ref_fnc(f, tau, 3, 0.3, 'attract'),
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


F_OK = rand_feats(4, 2, 6, seed=70)
Y_OK = torch.tensor([0, 1, 0, 1])


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: FNCLoss()(F_OK[:, 0]), r'shaped \[B, V, D\]', id='<lambda>-shaped \\[B, V, D\\]5'),
        pytest.param(lambda: FNCLoss()(F_OK[:, :1]), 'at least 2 views', id='<lambda>-at least 2 views1'),
        pytest.param(lambda: FNCLoss()(2 * F_OK), 'L2-normalised', id='<lambda>-L2-normalised5'),
        pytest.param(lambda: FNCLoss(mode='ignore'), 'mode', id='<lambda>-mode'),
        pytest.param(lambda: FNCLoss(reduction='sum'), 'reduction', id='<lambda>-reduction2'),
        pytest.param(lambda: FNCLoss(topk=-1), 'topk', id='<lambda>-topk'),
        pytest.param(lambda: FNCLoss(temperature=0.0), 'temperature', id='<lambda>-temperature5'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls', [pytest.param(dict(type='FNCLoss', temperature=0.1, mode='eliminate'), FNCLoss, id='cfg6-FNCLoss')]
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
