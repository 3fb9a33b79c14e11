"""Inputs, checks and dense references for the SupCon-family loss tests (helper, not collected)."""

import pytest
import torch
import torch.nn.functional as F

DT = torch.float64


RTOL = 1e-5


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


SHAPES = [(3, 2, 4), (8, 2, 16), (8, 3, 4)]


def duplicated_feats(b=6, v=2, d=16, seed=0, noise=0.05):
    """Random features where sample 1 is a slightly perturbed copy of sample 0."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, v, d, generator=g, dtype=DT)
    x[1] = x[0] + noise * torch.randn(v, d, generator=g, dtype=DT)
    return F.normalize(x, dim=-1)


HAND_ABS = 6e-7  # the documented values are rounded to 6 decimals


GC_LABELS = torch.tensor([0, 1, 0, 2])


NO_POS_LABELS = torch.tensor([0, 1, 1, 2])
