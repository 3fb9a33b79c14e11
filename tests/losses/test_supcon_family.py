"""SupCon family: SupCon, InfoNCE (NT-Xent / MoCo), DCL(W), eps-SupInfoNCE, UniCon and FNC.

Every loss is checked against an independent dense re-implementation written below (official code's
formulation, float masks, explicit loops), on values and on gradients, plus the hand values, reductions,
invariances and error messages of `the project's method notes (`methods.md`)` Part B.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from mmssl_ext.models.losses import DCLLoss, EpsSupInfoNCELoss, FNCLoss, InfoNCELoss, SupConLoss, UniConLoss
from mmssl_ext.models.losses.fnc_loss import detect_false_negatives
from mmssl_ext.registry import MODELS

DT = torch.float64
SMALL_NUM = math.log(1e-45)  # raminnakhli DCL's mask constant
RTOL = 1e-5

# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: intra-op threads only spin (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def toy():
    """toy-f of methods.md: B=2, V=2, D=2."""
    return torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, -1.0]]], dtype=DT)


def rand_feats(b, v, d, seed=0, dtype=DT):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(b, v, d, generator=g, dtype=DT), dim=-1).to(dtype)


def rand_labels(b, classes=3, seed=0):
    """``b`` labels over ``min(classes, b)`` classes, every class present (so every anchor has negatives)."""
    g = torch.Generator().manual_seed(seed + 1000)
    labels = torch.arange(b) % min(classes, b)
    return labels[torch.randperm(b, generator=g)]


def assert_rel(got, expected, rtol=RTOL):
    got, expected = float(got), float(expected)
    assert abs(got - expected) <= rtol * max(abs(expected), 1e-12), f'got {got!r}, expected {expected!r}'


def value_and_grad(fn, *inputs):
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    out = fn(*leaves)
    grads = torch.autograd.grad(out, leaves)
    return out.detach(), grads


def check_matches(loss_fn, ref_fn, *inputs, rtol=RTOL):
    """Values (relative error <= rtol) and gradients w.r.t. every input of ``loss_fn`` and ``ref_fn`` agree."""
    v1, g1 = value_and_grad(loss_fn, *inputs)
    v2, g2 = value_and_grad(ref_fn, *inputs)
    assert torch.isfinite(v1)
    assert_rel(v1, v2, rtol)
    for a, b in zip(g1, g2):
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, rtol=rtol, atol=1e-9)


def view_major(f):
    return torch.cat([f[:, v] for v in range(f.shape[1])], dim=0)


def normalized(fn):
    """Wrap ``fn(features, ...)`` so that gradcheck's free inputs are normalised first."""

    def wrapped(x, *rest):
        return fn(F.normalize(x, dim=-1), *[F.normalize(r, dim=-1) for r in rest])

    return wrapped


def gradcheck(fn, *inputs):
    inputs = [x.detach().clone().requires_grad_(True) for x in inputs]
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def named(cases):
    """``pytest.param`` per ``(name, *values)`` tuple, with the name as id."""
    return [pytest.param(*case, id=case[0]) for case in cases]


def free_inputs(b, v, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, v, d, generator=g, dtype=DT)


# --------------------------------------------------------------------------------------------------
# independent references (dense, float64, no package helper)
# --------------------------------------------------------------------------------------------------


def ref_supcon_rows(f, labels=None, mask=None, tau=0.1, contrast_mode='all', summation='out', denominator='all'):
    """HobbitLong SupContrast (float masks, exp * mask then log of the sum) with the TF options.

    Returns the unscaled per-anchor losses in anchor order (view-major).
    """
    b, v, _ = f.shape
    if mask is None:
        mask = torch.eye(b, dtype=DT) if labels is None else (labels[:, None] == labels[None, :]).to(DT)
    mask = mask.to(DT)
    contrast = view_major(f)
    anchor = f[:, 0] if contrast_mode == 'one' else contrast
    a_n = 1 if contrast_mode == 'one' else v
    logits = anchor @ contrast.T / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    mask = mask.repeat(a_n, v)
    logits_mask = torch.ones_like(mask)
    for r in range(a_n * b):
        logits_mask[r, r] = 0.0
    mask = mask * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    neg_mask = logits_mask * (mask == 0).to(DT)
    neg_sum = (exp_logits * neg_mask).sum(1, keepdim=True)
    if denominator == 'all':
        denom = exp_logits.sum(1, keepdim=True)
    elif denominator == 'one_positive':
        denom = neg_sum + torch.exp(logits)
    else:  # only_negatives
        denom = neg_sum.expand_as(logits)
    log_prob = logits - torch.log(denom)
    n = mask.sum(1)
    has_pos = n > 0
    n = torch.where(n < 1e-6, torch.ones_like(n), n)
    if summation == 'out':
        return -(mask * log_prob).sum(1) / n
    inner = (mask * torch.exp(log_prob)).sum(1) + (~has_pos).to(DT)  # no positive: log(1 / 1) = 0
    return -torch.log(inner / n)


def ref_supcon(f, labels=None, mask=None, tau=0.1, tau_base=0.07, **kwargs):
    return tau / tau_base * ref_supcon_rows(f, labels, mask, tau, **kwargs).mean()


def ref_ntxent_tf(f, tau):
    """google-research/simclr objective.py: two cross-entropies with a -1e9 diagonal, summed (V = 2)."""
    h1, h2 = f[:, 0], f[:, 1]
    b = h1.shape[0]
    big = 1e9 * torch.eye(b, dtype=f.dtype)
    aa = h1 @ h1.T / tau - big
    bb = h2 @ h2.T / tau - big
    ab = h1 @ h2.T / tau
    ba = h2 @ h1.T / tau
    target = torch.arange(b)
    loss_a = F.cross_entropy(torch.cat([ab, aa], 1), target)
    loss_b = F.cross_entropy(torch.cat([ba, bb], 1), target)
    return loss_a + loss_b


def ref_ntxent_rows_loop(f, tau):
    """Multi-view NT-Xent by explicit loops; rows view-major. Positives: the other views of the sample."""
    b, v, _ = f.shape
    rows = []
    for vi in range(v):
        for i in range(b):
            a = f[i, vi]
            den = [a @ f[j, u] / tau for u in range(v) for j in range(b) if (j, u) != (i, vi)]
            pos = [a @ f[i, u] / tau for u in range(v) if u != vi]
            rows.append(torch.logsumexp(torch.stack(den), 0) - torch.stack(pos).mean())
    return torch.stack(rows)


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


# --------------------------------------------------------------------------------------------------
# 1. equality with the references (values and gradients)
# --------------------------------------------------------------------------------------------------

SHAPES = [(3, 2, 4), (8, 2, 16), (8, 3, 4)]
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


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('tau', [0.1, 0.5])
@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_ntxent_matches_reference(shape, chunk, tau, reduction):
    f = rand_feats(*shape, seed=sum(shape) + 1)
    v = shape[1]
    loss = InfoNCELoss(tau, reduction=reduction, chunk_size=chunk)

    def ref(x):
        if v == 2 and reduction == 'sum':
            return ref_ntxent_tf(x, tau)
        rows = ref_ntxent_rows_loop(x, tau).mean()
        return rows * v if reduction == 'sum' else rows

    check_matches(loss, ref, f)


@pytest.mark.parametrize('in_batch', [False, True])
@pytest.mark.parametrize('extra', [None, 3])
@pytest.mark.parametrize('tau', [0.07, 0.2])
def test_moco_queue_matches_reference(in_batch, extra, tau):
    b, d = 4, 8
    f = rand_feats(b, 2, d, seed=11)
    queue = F.normalize(torch.randn(6, d, generator=torch.Generator().manual_seed(1), dtype=DT), dim=-1)
    neg = None if extra is None else rand_feats(b, extra, d, seed=12)
    loss = InfoNCELoss(tau, in_batch_negatives=in_batch)
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
    assert_rel(InfoNCELoss(tau)(f, queue=queue), expected)


def test_moco_empty_extra_negatives_is_a_no_op():
    b, d, tau = 4, 6, 0.1
    f = rand_feats(b, 2, d, seed=5)
    queue = F.normalize(torch.randn(5, d, dtype=DT), dim=-1)
    empty = torch.zeros(b, 0, d, dtype=DT)
    for in_batch in (False, True):
        loss = InfoNCELoss(tau, in_batch_negatives=in_batch)
        base = loss(f, queue=queue)
        assert_rel(loss(f, queue=queue, extra_negatives=empty), base, rtol=1e-12)
        assert_rel(base, ref_moco(f, queue, tau, in_batch))


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


def duplicated_feats(b=6, v=2, d=16, seed=0, noise=0.05):
    """Random features where sample 1 is a slightly perturbed copy of sample 0."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, v, d, generator=g, dtype=DT)
    x[1] = x[0] + noise * torch.randn(v, d, generator=g, dtype=DT)
    return F.normalize(x, dim=-1)


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


# --------------------------------------------------------------------------------------------------
# 2. hand values (methods.md, toy-f, tau = 1)
# --------------------------------------------------------------------------------------------------

HAND_ABS = 6e-7  # the documented values are rounded to 6 decimals


def test_hand_values_supcon():
    f = toy()
    loss = SupConLoss(1.0, 1.0)
    assert float(loss(f, torch.tensor([0, 1]))) == pytest.approx(0.861995, abs=HAND_ABS)
    assert float(loss(f, torch.tensor([0, 1]))) == pytest.approx(math.log(2 + math.exp(-1)), abs=1e-12)
    assert float(loss(f, torch.tensor([0, 0]))) == pytest.approx(1.195328, abs=HAND_ABS)
    assert float(SupConLoss(1.0, 1.0, summation='in')(f, torch.tensor([0, 0]))) == pytest.approx(math.log(3), abs=1e-12)


def test_hand_values_ntxent_and_dcl():
    f = toy()
    assert float(InfoNCELoss(1.0, reduction='mean')(f)) == pytest.approx(0.861995, abs=HAND_ABS)
    assert float(InfoNCELoss(1.0, reduction='sum')(f)) == pytest.approx(2 * 0.8619948040582511, abs=1e-12)
    assert float(ref_ntxent_tf(f, 1.0)) == pytest.approx(2 * 0.861995, abs=2 * HAND_ABS)
    assert float(DCLLoss(1.0, reduction='mean')(f)) == pytest.approx(0.313262, abs=HAND_ABS)
    assert float(DCLLoss(1.0, reduction='sum')(f)) == pytest.approx(0.626523, abs=HAND_ABS)
    assert float(DCLLoss(1.0)(f)) == pytest.approx(2 * math.log(1 + math.exp(-1)), abs=1e-12)


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


# --------------------------------------------------------------------------------------------------
# 3. reductions between the losses
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('v', [2, 3])
@pytest.mark.parametrize('tau', [0.1, 0.5])
def test_supcon_unsupervised_forms_agree_with_ntxent(v, tau):
    b = 6
    f = rand_feats(b, v, 8, seed=v)
    loss = SupConLoss(tau, tau)
    by_labels = loss(f, torch.arange(b))
    assert_rel(loss(f), by_labels, rtol=1e-12)
    assert_rel(loss(f, mask=torch.eye(b)), by_labels, rtol=1e-12)
    assert_rel(InfoNCELoss(tau, reduction='mean')(f), by_labels)
    assert_rel(by_labels, ref_ntxent_rows_loop(f, tau).mean())
    if v == 2:
        assert_rel(by_labels, 0.5 * InfoNCELoss(tau, reduction='sum')(f))
        assert_rel(by_labels, 0.5 * ref_ntxent_tf(f, tau))


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
    assert_rel(DCLLoss(tau, reduction='mean')(f), InfoNCELoss(tau)(f) - share.mean())
    assert_rel(DCLLoss(tau, reduction='sum')(f), InfoNCELoss(tau, reduction='sum')(f) - 2 * share.mean())


@pytest.mark.parametrize('mode', ['attract', 'eliminate'])
@pytest.mark.parametrize('topk,threshold', [(10, 1.5), (0, -1.0)])
def test_fnc_without_detection_is_simclr(mode, topk, threshold):
    f = duplicated_feats(6, 2, 8, seed=3)
    expected = ref_ntxent_tf(f, 0.1)
    got = FNCLoss(0.1, mode, topk, threshold)(f)
    assert_rel(got, expected)
    assert_rel(got, InfoNCELoss(0.1, reduction='sum')(f))


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


@pytest.mark.parametrize('shape', [(6, 2, 8), (5, 3, 4)])
@pytest.mark.parametrize('tau', [0.1, 0.5])
def test_unicon_with_features_as_universum_is_supcon(shape, tau):
    f = rand_feats(*shape, seed=31)
    labels = rand_labels(shape[0], seed=31)
    assert_rel(UniConLoss(tau, tau)(f, f, labels), SupConLoss(tau, tau)(f, labels))


# --------------------------------------------------------------------------------------------------
# 4. gradcheck (float64, tiny inputs, chunked and unchunked)
# --------------------------------------------------------------------------------------------------

GC_LABELS = torch.tensor([0, 1, 0, 2])


@pytest.mark.parametrize('chunk', [None, 2])
@pytest.mark.parametrize('summation', ['out', 'in'])
@pytest.mark.parametrize('denominator', ['all', 'one_positive', 'only_negatives'])
def test_gradcheck_supcon(chunk, summation, denominator):
    loss = SupConLoss(0.5, 0.5, summation=summation, denominator_mode=denominator, chunk_size=chunk)
    gradcheck(normalized(lambda f: loss(f, GC_LABELS)), free_inputs(4, 2, 3))


@pytest.mark.parametrize('chunk', [None, 2])
def test_gradcheck_ntxent(chunk):
    gradcheck(normalized(InfoNCELoss(0.3, chunk_size=chunk)), free_inputs(3, 2, 3, seed=1))


@pytest.mark.parametrize('in_batch', [False, True])
def test_gradcheck_moco(in_batch):
    loss = InfoNCELoss(0.3, in_batch_negatives=in_batch)
    fn = normalized(lambda f, q, e: loss(f, queue=q, extra_negatives=e))
    g = torch.Generator().manual_seed(2)
    gradcheck(fn, free_inputs(3, 2, 3, seed=2), torch.randn(4, 3, generator=g, dtype=DT), free_inputs(3, 2, 3, seed=3))


@pytest.mark.parametrize('chunk', [None, 2])
def test_gradcheck_dcl(chunk):
    gradcheck(normalized(DCLLoss(0.3, chunk_size=chunk)), free_inputs(3, 2, 3, seed=4))


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


@pytest.mark.parametrize('chunk', [None, 2])
def test_gradcheck_unicon(chunk):
    loss = UniConLoss(0.5, 0.5, chunk_size=chunk)
    gradcheck(normalized(lambda f, u: loss(f, u, GC_LABELS)), free_inputs(4, 2, 3, seed=7), free_inputs(4, 2, 3, 8))


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


# --------------------------------------------------------------------------------------------------
# 5. invariances
# --------------------------------------------------------------------------------------------------


def _supervised_losses():
    return [
        ('supcon', lambda f, y: SupConLoss(0.2, 0.2)(f, y)),
        ('supcon_in', lambda f, y: SupConLoss(0.2, 0.2, summation='in', denominator_mode='one_positive')(f, y)),
        ('eps_out', lambda f, y: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3)(f, y)),
        ('eps_in', lambda f, y: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3, form='in')(f, y)),
        ('eps_supcon', lambda f, y: EpsSupInfoNCELoss(0.2, 0.2, epsilon=0.3, form='supcon')(f, y)),
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


@pytest.mark.parametrize(
    'loss',
    [InfoNCELoss(0.2), DCLLoss(0.2), DCLLoss(0.2, weight_fn='vmf'), FNCLoss(0.2, topk=3, threshold=0.2)],
    ids=['ntxent', 'dcl', 'dclw', 'fnc'],
)
def test_unsupervised_permutation_invariance(loss):
    f = duplicated_feats(7, 2, 6, seed=41)
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(2))
    assert_rel(loss(f[perm]), loss(f), rtol=1e-10)
    # but re-pairing views across samples is not a symmetry: the loss moves
    g = f.clone()
    g[0] = torch.stack([f[3, 0], f[0, 1]])
    assert abs(float(loss(g) - loss(f))) > 1e-4


# --------------------------------------------------------------------------------------------------
# 6. finiteness
# --------------------------------------------------------------------------------------------------


def _all_losses_small_tau(tau):
    return [
        ('supcon', lambda f, y: SupConLoss(tau, tau)(f, y), lambda f, y: ref_supcon(f, y, tau=tau, tau_base=tau)),
        (
            'supcon_in_only_neg',
            lambda f, y: SupConLoss(tau, tau, summation='in', denominator_mode='only_negatives', chunk_size=3)(f, y),
            lambda f, y: ref_supcon(f, y, tau=tau, tau_base=tau, summation='in', denominator='only_negatives'),
        ),
        ('ntxent', lambda f, y: InfoNCELoss(tau)(f), lambda f, y: ref_ntxent_rows_loop(f, tau).mean()),
        ('dcl', lambda f, y: DCLLoss(tau, chunk_size=3)(f), lambda f, y: ref_dcl(f, tau)),
        ('dclw', lambda f, y: DCLLoss(tau, weight_fn='vmf')(f), lambda f, y: ref_dcl(f, tau, 'vmf')),
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
        ('unicon', lambda f, y: UniConLoss(tau, tau)(f, f, y), lambda f, y: ref_supcon(f, y, tau=tau, tau_base=tau)),
        (
            'fnc',
            lambda f, y: FNCLoss(tau, topk=3, threshold=0.3)(f),
            lambda f, y: ref_fnc(f, tau, 3, 0.3, 'attract'),
        ),
        (
            'moco',
            lambda f, y: InfoNCELoss(tau, in_batch_negatives=True)(f, queue=f[:, 1].flip(0).detach()),
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


NO_POS_LABELS = torch.tensor([0, 1, 1, 2])


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


@pytest.mark.parametrize('summation', ['out', 'in'])
def test_only_negatives_without_negatives_has_finite_gradient(summation):
    f = rand_feats(3, 2, 5, seed=61)
    x = f.clone().requires_grad_(True)
    out = SupConLoss(0.5, 0.5, summation=summation, denominator_mode='only_negatives')(x, torch.tensor([0, 0, 0]))
    (g,) = torch.autograd.grad(out, x)
    assert float(out) == 0.0
    assert torch.isfinite(g).all()


# --------------------------------------------------------------------------------------------------
# 7. errors
# --------------------------------------------------------------------------------------------------

F_OK = rand_feats(4, 2, 6, seed=70)
Y_OK = torch.tensor([0, 1, 0, 1])


@pytest.mark.parametrize(
    'call,match',
    [
        (lambda: SupConLoss()(F_OK[:, 0]), r'shaped \[B, V, D\]'),
        (lambda: SupConLoss()(2 * F_OK, Y_OK), 'L2-normalised'),
        (lambda: SupConLoss()(F_OK, Y_OK, mask=torch.eye(4)), 'not both'),
        (lambda: SupConLoss(require_labels=True)(F_OK), 'require_labels'),
        (lambda: SupConLoss()(F_OK, Y_OK[:3]), r'`labels` must be shaped \[4\]'),
        (lambda: SupConLoss()(F_OK, Y_OK.float()), 'integer'),
        (lambda: SupConLoss()(F_OK, mask=torch.eye(3)), '`mask` must be shaped'),
        (lambda: SupConLoss(contrast_mode='many'), 'contrast_mode'),
        (lambda: SupConLoss(denominator_mode='some'), 'denominator_mode'),
        (lambda: SupConLoss(summation='mid'), 'summation'),
        (lambda: SupConLoss(temperature=0.0), 'temperature'),
        (lambda: SupConLoss(base_temperature=-1.0), 'base_temperature'),
        (lambda: InfoNCELoss()(F_OK[:, 0]), r'shaped \[B, V, D\]'),
        (lambda: InfoNCELoss()(F_OK[:, :1]), 'at least 2 views'),
        (lambda: InfoNCELoss()(2 * F_OK), 'L2-normalised'),
        (lambda: InfoNCELoss(reduction='none'), 'reduction'),
        (lambda: InfoNCELoss(temperature=-0.1), 'temperature'),
        (lambda: InfoNCELoss()(rand_feats(4, 3, 6), queue=F_OK[:, 0]), 'queue form'),
        (lambda: InfoNCELoss()(F_OK, queue=rand_feats(5, 1, 4)[:, 0]), r'`queue` must be \[K, 6\]'),
        (lambda: InfoNCELoss()(F_OK, queue=2 * F_OK[:, 0]), 'L2-normalised'),
        (lambda: InfoNCELoss()(F_OK, extra_negatives=rand_feats(3, 2, 6)), '`extra_negatives` must be'),
        (lambda: DCLLoss()(F_OK[:, 0]), r'shaped \[B, V, D\]'),
        (lambda: DCLLoss()(2 * F_OK), 'L2-normalised'),
        (lambda: DCLLoss(weight_fn='vmf')(rand_feats(4, 3, 6)), 'exactly 2 views'),
        (lambda: DCLLoss(weight_fn='exp'), 'weight_fn'),
        (lambda: DCLLoss(reduction='none'), 'reduction'),
        (lambda: DCLLoss(temperature=0), 'temperature'),
        (lambda: DCLLoss(sigma=0), 'sigma'),
        (lambda: EpsSupInfoNCELoss()(F_OK), 'supervised'),
        (lambda: EpsSupInfoNCELoss()(F_OK[:, 0], Y_OK), r'shaped \[B, V, D\]'),
        (lambda: EpsSupInfoNCELoss()(2 * F_OK, Y_OK), 'L2-normalised'),
        (lambda: EpsSupInfoNCELoss()(F_OK, Y_OK, mask=torch.eye(4)), 'not both'),
        (lambda: EpsSupInfoNCELoss()(F_OK, torch.tensor([0, 1])), r'`labels` must be shaped \[4\]'),
        (lambda: EpsSupInfoNCELoss(contrast_mode='many')(F_OK, Y_OK), 'contrast_mode'),
        (lambda: EpsSupInfoNCELoss(form='both'), 'form'),
        (lambda: EpsSupInfoNCELoss(temperature=0.0), 'temperature'),
        (lambda: UniConLoss()(F_OK, F_OK, None), 'required'),
        (lambda: UniConLoss()(F_OK, F_OK, Y_OK[:2]), r'`labels` must be shaped \[4\]'),
        (lambda: UniConLoss()(F_OK[:, 0], F_OK[:, 0], Y_OK), r'shaped \[B, V, D\]'),
        (lambda: UniConLoss()(F_OK, 2 * F_OK, Y_OK), '`universum` must be L2-normalised'),
        (lambda: UniConLoss()(F_OK, F_OK[:, :1], Y_OK), '`universum` must match'),
        (lambda: UniConLoss(temperature=-1.0), 'temperature'),
        (lambda: FNCLoss()(F_OK[:, 0]), r'shaped \[B, V, D\]'),
        (lambda: FNCLoss()(F_OK[:, :1]), 'at least 2 views'),
        (lambda: FNCLoss()(2 * F_OK), 'L2-normalised'),
        (lambda: FNCLoss(mode='ignore'), 'mode'),
        (lambda: FNCLoss(reduction='sum'), 'reduction'),
        (lambda: FNCLoss(topk=-1), 'topk'),
        (lambda: FNCLoss(temperature=0.0), 'temperature'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------------------------------
# 8. registry
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'cfg,cls',
    [
        (dict(type='SupConLoss', temperature=0.1, summation='in'), SupConLoss),
        (dict(type='InfoNCELoss', temperature=0.1, reduction='sum'), InfoNCELoss),
        (dict(type='DCLLoss', temperature=0.1, weight_fn='vmf'), DCLLoss),
        (dict(type='EpsSupInfoNCELoss', temperature=0.1, epsilon=0.25, form='supcon'), EpsSupInfoNCELoss),
        (dict(type='UniConLoss', temperature=0.1), UniConLoss),
        (dict(type='FNCLoss', temperature=0.1, mode='eliminate'), FNCLoss),
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
