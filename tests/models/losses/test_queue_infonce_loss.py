"""QueueInfoNCELoss (MoCo): the loop reference, cross-entropy form, extra (MoCHi) negatives, gradcheck, errors."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.algorithms import MoCHiMixer
from mmssl_ext.models.losses import EpsSupInfoNCELoss, QueueInfoNCELoss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import close, gen, mochi_inputs, unit
from tests.models.losses.supcon_family_helpers import (
    DT,
    RTOL,
    assert_rel,
    check_matches,
    free_inputs,
    gradcheck,
    named,
    normalized,
    rand_feats,
)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def ref_moco(f, queue, tau, in_batch=False, extra=None):
    """MoCo InfoNCE by loops: -log e^{q.k+/t} / sum over [k+, queue, other keys, extra negatives]."""
    q, k = f[:, 0], f[:, 1]
    rows = []
    for i in range(f.shape[0]):
        pos = q[i] @ k[i] / tau
        terms = [pos]
        if queue is not None:
            terms += [q[i] @ queue[j] / tau for j in range(queue.shape[0])]
        if in_batch:
            terms += [q[i] @ k[j] / tau for j in range(f.shape[0]) if j != i]
        if extra is not None:
            terms += [q[i] @ extra[i, s] / tau for s in range(extra.shape[1])]
        rows.append(torch.logsumexp(torch.stack(terms), 0) - pos)
    return torch.stack(rows).mean()


@pytest.mark.parametrize('in_batch', [False, True])
@pytest.mark.parametrize('extra', [None, 3])
@pytest.mark.parametrize('tau', [0.07, 0.2])
def test_moco_queue_matches_reference(in_batch, extra, tau):
    b, d = 4, 8
    f = rand_feats(b, 2, d, seed=11)
    queue = F.normalize(torch.randn(6, d, generator=torch.Generator().manual_seed(1), dtype=DT), dim=-1)
    neg = None if extra is None else rand_feats(b, extra, d, seed=12)
    loss = QueueInfoNCELoss(tau, in_batch_negatives=in_batch)
    check_matches(
        lambda x, qu: loss(x, queue=qu, extra_negatives=neg),
        lambda x, qu: ref_moco(x, qu, tau, in_batch, neg),
        f,
        queue,
    )


def test_moco_queue_is_plain_cross_entropy():
    b, d, tau = 5, 8, 0.2
    f = rand_feats(b, 2, d, seed=2)
    queue = F.normalize(torch.randn(7, d, dtype=DT), dim=-1)
    q, k = f[:, 0], f[:, 1]
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], 1) / tau
    expected = F.cross_entropy(logits, torch.zeros(b, dtype=torch.long))
    assert_rel(QueueInfoNCELoss(tau)(f, queue=queue), expected)


def test_moco_empty_extra_negatives_is_a_no_op():
    b, d, tau = 4, 6, 0.1
    f = rand_feats(b, 2, d, seed=5)
    queue = F.normalize(torch.randn(5, d, dtype=DT), dim=-1)
    empty = torch.zeros(b, 0, d, dtype=DT)
    for in_batch in (False, True):
        loss = QueueInfoNCELoss(tau, in_batch_negatives=in_batch)
        base = loss(f, queue=queue)
        assert_rel(loss(f, queue=queue, extra_negatives=empty), base, rtol=1e-12)
        assert_rel(base, ref_moco(f, queue, tau, in_batch))


def test_infonce_extra_negatives_match_reference():
    f, queue = mochi_inputs(seed=21)
    extra = MoCHiMixer(num_hard=5, num_mix=3, num_query_mix=2)(f[:, 0], queue, generator=gen(1))
    q, k = f[:, 0], f[:, 1]
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T, torch.einsum('bd,bsd->bs', q, extra)], 1) / 0.2
    expected = F.cross_entropy(logits, torch.zeros(4, dtype=torch.long))
    close(QueueInfoNCELoss(temperature=0.2)(f, queue, extra_negatives=extra), expected)
    assert (expected - QueueInfoNCELoss(temperature=0.2)(f, queue)).abs() > 1e-4


@pytest.mark.parametrize('in_batch', [False, True])
def test_gradcheck_moco(in_batch):
    loss = QueueInfoNCELoss(0.3, in_batch_negatives=in_batch)
    fn = normalized(lambda f, q, e: loss(f, queue=q, extra_negatives=e))
    g = torch.Generator().manual_seed(2)
    gradcheck(fn, free_inputs(3, 2, 3, seed=2), torch.randn(4, 3, generator=g, dtype=DT), free_inputs(3, 2, 3, seed=3))


def _all_losses_small_tau(tau):
    return [
        (
            'moco',
            lambda f, y: QueueInfoNCELoss(tau, in_batch_negatives=True)(f, queue=f[:, 1].flip(0).detach()),
            lambda f, y: ref_moco(f, f[:, 1].flip(0).detach(), tau, True),
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
_F = unit(6, 2, 4, g=gen(40))
_Q = unit(5, 4, g=gen(41))


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(
            lambda: QueueInfoNCELoss()(rand_feats(4, 3, 6), queue=F_OK[:, 0]), 'queue form', id='<lambda>-queue form'
        ),
        pytest.param(
            lambda: QueueInfoNCELoss()(F_OK, queue=rand_feats(5, 1, 4)[:, 0]),
            r'`queue` must be \[K, 6\]',
            id='<lambda>-`queue` must be \\[K, 6\\]',
        ),
        pytest.param(
            lambda: QueueInfoNCELoss()(F_OK, queue=2 * F_OK[:, 0]), 'L2-normalised', id='<lambda>-L2-normalised2'
        ),
        pytest.param(
            lambda: QueueInfoNCELoss()(F_OK, extra_negatives=rand_feats(3, 2, 6)),
            '`extra_negatives` must be',
            id='<lambda>-`extra_negatives` must be',
        ),
        pytest.param(
            lambda: QueueInfoNCELoss()(_F, _Q, extra_negatives=_F[:4]),
            '`extra_negatives` must be',
            id='55:`extra_negatives` must be',
        ),
        pytest.param(
            lambda: QueueInfoNCELoss()(_F, _Q, extra_negatives=2 * _F),
            '`extra_negatives` must be L2-normalised',
            id='56:`extra_negatives` must be L2-n',
        ),
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
            dict(type='QueueInfoNCELoss', temperature=0.1, in_batch_negatives=True),
            QueueInfoNCELoss,
            id='cfg2-QueueInfoNCELoss',
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
