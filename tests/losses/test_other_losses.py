"""FairKL, RenyiCL, SCE, CLSA-DDM, PaCo/GPaCo, ReLIC, CMC and MoCHi against dense re-implementations.

The references below are written from `the project's method notes (`methods.md`)` (Part A 1.3/1.7, Part B 4-6, 8, 9) and
the loss docstrings, with loops over samples / pairs; they never call package helpers.
"""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.losses import (
    CMCLoss,
    DDMLoss,
    FairKLLoss,
    InfoNCELoss,
    MoCHiMixer,
    PaCoLoss,
    ReLICLoss,
    RenyiContrastiveLoss,
    SCELoss,
    cmc_momentum_update,
    ddm_loss,
    sce_loss,
)
from mmssl_ext.registry import MODELS

F64 = torch.float64


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def unit(*shape, g, dtype=F64):
    return F.normalize(torch.randn(*shape, generator=g, dtype=dtype), dim=-1)


def close(actual, expected, rtol=1e-5, atol=1e-9):
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol)


def grads(loss, inputs):
    return torch.autograd.grad(loss, inputs, allow_unused=True)


def check_value_and_grads(module_fn, ref_fn, inputs):
    """Value and gradients of ``module_fn(*inputs)`` equal those of ``ref_fn(*inputs)``."""
    inputs = [x.detach().clone().requires_grad_() for x in inputs]
    out, ref = module_fn(*inputs), ref_fn(*inputs)
    close(out, ref)
    for a, b in zip(grads(out, inputs), grads(ref, inputs)):
        if a is None or b is None:
            assert (a is None or not a.any()) and (b is None or not b.any())
        else:
            close(a, b)


def row_log_softmax(x):
    m = x.max().detach()
    return x - m - torch.log(torch.exp(x - m).sum())


def row_softmax(x):
    return torch.exp(row_log_softmax(x))


# ----------------------------------------------------------------------------------------------------------------
# References
# ----------------------------------------------------------------------------------------------------------------


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


def ref_renyi(online, target, temperature=0.5, alpha=1 / 65536, gamma=2.0):
    n = online.shape[0]
    total = online.new_zeros(())
    for t in range(target.shape[1]):
        pos, neg = [], []
        for s in range(online.shape[1]):
            if s == t:
                continue
            for i in range(n):
                for j in range(n):
                    (pos if i == j else neg).append(online[i, s] @ target[j, t] / temperature)
        pos, neg = torch.stack(pos), torch.stack(neg)
        if gamma == 1:
            first = -pos.mean()
        else:
            first = -torch.log(torch.exp((gamma - 1) * pos).mean()) / (gamma - 1)
        mix = alpha * torch.exp(gamma * pos).mean() + (1 - alpha) * torch.exp(gamma * neg).mean()
        total = total + first + torch.log(mix) / gamma
    return total


def ref_sce_rows(q, k, queue, temperature, temperature_m, coeff, compat, use_keys):
    """Per-query SCE losses and targets (paper form, or the eztorch constant-zero-logit form)."""
    k = k.detach()
    n = q.shape[0]
    rows, targets = [], []
    for i in range(n):
        cands = [k[j] for j in range(n)] if use_keys else [k[i]]
        pos = i if use_keys else 0
        if queue is not None:
            cands += [queue[j] for j in range(queue.shape[0])]
        zq = torch.stack([q[i] @ c for c in cands]) / temperature
        zk = torch.stack([k[i] @ c for c in cands]) / temperature_m
        if not use_keys:
            zk = torch.cat([zk.new_zeros(1), zk[1:]])  # the constant 0 logit of the code
        keep = torch.ones(len(cands), dtype=torch.bool)
        if use_keys or not compat:
            keep[pos] = False
        e = torch.where(keep, torch.exp(zk - zk[keep].max()), torch.zeros_like(zk))
        w = (1 - coeff) * e / e.sum()
        w[pos] += coeff
        w = w / w.sum()
        rows.append(-(w * row_log_softmax(zq)).sum())
        targets.append(w)
    return torch.stack(rows), torch.stack(targets)


def ref_ddm(weak, strong, candidates, temperature=0.2, pairs='all'):
    cand = candidates.detach()
    total = strong.new_zeros(())
    for w in range(weak.shape[1] if pairs == 'all' else 1):
        for s in range(strong.shape[1]):
            for i in range(weak.shape[0]):
                p = row_softmax(torch.stack([weak[i, w].detach() @ c for c in cand]) / temperature)
                log_r = row_log_softmax(torch.stack([strong[i, s] @ c for c in cand]) / temperature)
                total = total - (p * log_r).sum() / weak.shape[0]
    return total


def ref_paco(
    features,
    labels,
    sup_logits,
    queue=None,
    queue_labels=None,
    num_classes=None,
    alpha=0.05,
    beta=1.0,
    gamma=1.0,
    supt=1.0,
    temperature=0.2,
    base_temperature=None,
    smooth=0.0,
    gpaco=False,
    class_prior=None,
):
    """``-[beta sum_c y~_c log p_c + alpha sum_{P(i)} log p_p] / (beta + alpha |P(i)|)`` per anchor, mean."""
    n = features.shape[0]
    base_temperature = temperature if base_temperature is None else base_temperature
    contrast = [features[i, 0] for i in range(n)] + [features[i, 1] for i in range(n)]
    contrast_labels = [int(y) for y in labels] * 2
    if queue is not None:
        contrast += [queue[j].detach() for j in range(queue.shape[0])]
        contrast_labels += [int(y) for y in queue_labels]
    rows = range(2 * n if gpaco else n)
    total = features.new_zeros(())
    for r in rows:
        y = contrast_labels[r]
        sup = sup_logits[r % n, r // n] if gpaco else sup_logits[r]
        if class_prior is not None:
            prior = torch.tensor(class_prior, dtype=F64)
            sup = sup + torch.log(prior / prior.sum() + 1e-9)
        logits = torch.cat([sup / supt, torch.stack([contrast[r] @ c for c in contrast]) / temperature])
        logits = logits - logits.max().detach()
        weights = [1.0] * num_classes + [0.0 if j == r else gamma for j in range(len(contrast))]
        log_den = torch.log((torch.tensor(weights, dtype=F64) * torch.exp(logits)).sum() + 1e-12)
        log_p = logits - log_den
        centre = torch.tensor(
            [(1 - smooth) if c == y else smooth / (num_classes - 1) if smooth else 0.0 for c in range(num_classes)],
            dtype=F64,
        )
        positives = [j for j in range(len(contrast)) if j != r and contrast_labels[j] == y]
        num = beta * (centre * log_p[:num_classes]).sum()
        for j in positives:
            num = num + alpha * log_p[num_classes + j]
        total = total - temperature / base_temperature * num / (beta + alpha * len(positives))
    return total / len(rows)


def ref_relic(online, target, temperature=0.1, alpha=1.0):
    tgt = target.detach()
    num_t = tgt.shape[1]
    labels = torch.arange(online.shape[0])

    def logits(a, b):
        return online[:, a] @ tgt[:, b].T / temperature

    total, pairs = online.new_zeros(()), 0
    for a in range(online.shape[1]):
        for b in range(num_t):
            if a == b:
                continue
            log_p = torch.stack([row_log_softmax(row) for row in logits(a, b)])
            loss = -log_p[labels, labels].mean()
            if alpha > 0:
                other = a if a < num_t else [x for x in range(num_t) if x != b][0]
                teacher = logits(b, a) if a < num_t else logits(other, b)
                log_q = torch.stack([row_log_softmax(row) for row in teacher.detach()])
                loss = loss + alpha * (log_p.exp() * (log_p - log_q)).sum(1).mean()
            total, pairs = total + loss, pairs + 1
    return total / pairs


def ref_cmc_partition(features, banks, indices, negatives, temperature):
    views, size = banks.shape[0], banks.shape[1]
    z = []
    for u in range(views):
        v = (u + 1) % views
        vals = []
        for i in range(features.shape[0]):
            for m in [int(indices[i])] + [int(x) for x in negatives[i]]:
                vals.append(torch.exp(banks[u, m] @ features[i, v] / temperature))
        z.append(torch.stack(vals).mean() * size)
    return torch.stack(z)


def ref_cmc(features, banks, indices, negatives, temperature, loss_type, partition=None, eps=1e-7):
    n, views = features.shape[:2]
    size, k = banks.shape[1], negatives.shape[1]
    total = features.new_zeros(())
    for v in range(views):
        for u in range(views):
            if u == v:
                continue
            for i in range(n):
                s_pos = banks[u, indices[i]] @ features[i, v] / temperature
                s_neg = torch.stack([banks[u, m] @ features[i, v] for m in negatives[i]]) / temperature
                if loss_type == 'softmax':
                    total = total - row_log_softmax(torch.cat([s_pos[None], s_neg]))[0] / n
                else:
                    pn = 1.0 / size
                    p_pos, p_neg = torch.exp(s_pos) / partition[u], torch.exp(s_neg) / partition[u]
                    log_d1 = torch.log(p_pos / (p_pos + k * pn + eps))
                    log_d0 = torch.log(k * pn / (p_neg + k * pn + eps)).sum()
                    total = total - (log_d1 + log_d0) / n
    return total


# ----------------------------------------------------------------------------------------------------------------
# FairKL
# ----------------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------------
# RenyiCL
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('gamma', [2.0, 1.5, 1.0])
@pytest.mark.parametrize(
    'batch,source_views,target_views,temperature,alpha',
    [(5, 2, 2, 0.5, 1 / 65536), (4, 4, 2, 0.2, 0.3), (3, 3, 1, 0.5, 0.0), (4, 2, 2, 0.5, 1.0)],
)
def test_renyi_value_is_objective_and_gradient_matches_closed_form(
    gamma, batch, source_views, target_views, temperature, alpha
):
    g = gen(batch + source_views)
    online, target = unit(batch, source_views, 6, g=g), unit(batch, target_views, 6, g=g)
    loss = RenyiContrastiveLoss(temperature=temperature, alpha=alpha, gamma=gamma, loss_weight=0.7)
    check_value_and_grads(loss, lambda o, t: 0.7 * ref_renyi(o, t, temperature, alpha, gamma), [online, target])


def test_renyi_surrogate_differs_from_objective_in_value():
    # The returned number is the objective, not the surrogate the official code prints.
    g = gen(1)
    online, target = unit(4, 2, 5, g=g), unit(4, 2, 5, g=g)
    loss = RenyiContrastiveLoss(gamma=2.0)
    pos, neg = loss.pos_neg(online, target, 0)
    assert not torch.allclose(loss.surrogate(pos, neg), loss.objective(pos, neg))
    close(loss(online, target), ref_renyi(online, target, 0.5, 1 / 65536, 2.0))


# ----------------------------------------------------------------------------------------------------------------
# SCE
# ----------------------------------------------------------------------------------------------------------------


def test_sce_eztorch_without_key_value():
    q = torch.tensor([[1.0, 2], [3, 4], [5, 6], [7, 8]], dtype=F64)
    k = torch.tensor([[0.0, 0], [1, 1], [0, 0], [1, 1]], dtype=F64)
    queue = torch.tensor([[0.0, 0, 0, 2], [0, 0, 0, 2]], dtype=F64).T
    loss = sce_loss(q, k, queue, temperature=0.1, temperature_m=0.07, coeff=0.5, compat_zero_logit=True)
    close(loss, torch.tensor(90.5, dtype=F64))
    rows, _ = ref_sce_rows(q, k, queue, 0.1, 0.07, 0.5, compat=True, use_keys=False)
    close(rows, torch.tensor([54.0, 35.0, 198.0, 75.0], dtype=F64))
    # The paper form gives the positive slot no target mass: a different number.
    paper = sce_loss(q, k, queue, temperature=0.1, temperature_m=0.07, coeff=0.5)
    assert abs(paper.item() - 90.5) > 0.1


@pytest.mark.parametrize(
    'batch,queue_size,coeff,compat,use_keys',
    [(5, 7, 0.5, False, False), (4, 9, 0.3, True, False), (6, 5, 0.0, False, True), (3, 0, 0.8, True, True)],
)
def test_sce_matches_reference(batch, queue_size, coeff, compat, use_keys):
    g = gen(batch * 10 + queue_size)
    f = unit(batch, 2, 6, g=g)
    queue = unit(queue_size, 6, g=g) if queue_size else None
    loss = SCELoss(
        temperature=0.2, temperature_m=0.05, coeff=coeff, compat_zero_logit=compat, use_keys=use_keys, loss_weight=2
    )

    def ref(x):
        rows, targets = ref_sce_rows(x[:, 0], x[:, 1], queue, 0.2, 0.05, coeff, compat, use_keys)
        close(targets.sum(1), torch.ones(batch, dtype=F64))
        return 2 * rows.mean()

    check_value_and_grads(lambda x: loss(x, queue), ref, [f])


@pytest.mark.parametrize('coeff,compat,use_keys', [(0.5, False, False), (0.2, True, False), (0.7, False, True)])
def test_sce_target_rows_sum_to_one(coeff, compat, use_keys):
    # Append a coordinate equal to 1 on every candidate: dL/dq_extra,i = (1 - sum_j w_ij) / (B tau).
    g = gen(5)
    q, k, queue = unit(4, 5, g=g), unit(4, 5, g=g), unit(6, 5, g=g)
    q = torch.cat([q, torch.zeros(4, 1, dtype=F64)], 1).requires_grad_()
    k, queue = torch.cat([k, torch.ones(4, 1, dtype=F64)], 1), torch.cat([queue, torch.ones(6, 1, dtype=F64)], 1)
    loss = sce_loss(q, k, queue, 0.1, 0.07, coeff, compat_zero_logit=compat, use_keys=use_keys)
    (grad,) = grads(loss, [q])
    close(grad[:, -1], torch.zeros(4, dtype=F64), atol=1e-12, rtol=0)
    assert grad[:, :-1].abs().max() > 1e-3


def test_sce_coeff_one_is_moco_infonce():
    g = gen(6)
    f, queue = unit(5, 2, 8, g=g).requires_grad_(), unit(11, 8, g=g)
    for compat in (False, True):
        sce = SCELoss(temperature=0.2, coeff=1.0, compat_zero_logit=compat)(f, queue)
        moco = InfoNCELoss(temperature=0.2)(f, queue)
        close(sce, moco)
        close(grads(sce, [f])[0][:, 0], grads(moco, [f])[0][:, 0])


def test_sce_paper_and_compat_forms_differ_below_coeff_one():
    g = gen(7)
    f, queue = unit(5, 2, 8, g=g), unit(11, 8, g=g)
    paper = SCELoss(coeff=0.5)(f, queue)
    compat = SCELoss(coeff=0.5, compat_zero_logit=True)(f, queue)
    assert (paper - compat).abs() > 1e-4


def test_sce_batch_permutation_invariance():
    g = gen(8)
    f, queue, perm = unit(6, 2, 5, g=g), unit(9, 5, g=g), torch.randperm(6, generator=g)
    for use_keys in (False, True):
        loss = SCELoss(use_keys=use_keys)
        close(loss(f[perm], queue), loss(f, queue))


def test_sce_key_and_queue_get_no_gradient():
    g = gen(9)
    f, queue = unit(4, 2, 5, g=g).requires_grad_(), unit(6, 5, g=g).requires_grad_()
    grad_f, grad_queue = grads(SCELoss()(f, queue), [f, queue])
    assert not grad_f[:, 1].any() and grad_f[:, 0].abs().max() > 0
    assert grad_queue is None or not grad_queue.any()


# ----------------------------------------------------------------------------------------------------------------
# CLSA: contrastive term and DDM
# ----------------------------------------------------------------------------------------------------------------


def test_clsa_hand_values():
    q_w, q_s, k = [1.0, 0.0], [0.6, 0.8], [1.0, 0.0]
    queue = torch.tensor([[0.0, 1.0], [-1.0, 0.0]], dtype=F64)
    l_c = InfoNCELoss(temperature=0.2, in_batch_negatives=True)(torch.tensor([[q_w, k]], dtype=F64), queue)
    assert l_c.item() == pytest.approx(0.006760, abs=5e-7)

    weak_sim = torch.tensor([[1.0, 0.0, -1.0]], dtype=F64)
    strong_sim = torch.tensor([[0.6, 0.8, -0.6]], dtype=F64, requires_grad=True)
    l_d = ddm_loss(weak_sim, strong_sim, 0.2)
    assert l_d.item() == pytest.approx(1.307506, abs=5e-7)
    assert (l_c + l_d).item() == pytest.approx(1.314267, abs=5e-7)
    (grad,) = grads(l_d, [strong_sim])
    close(grad, torch.tensor([[-3.62250, 3.61940, 0.00311]], dtype=F64), rtol=0, atol=5e-6)
    p = torch.softmax(weak_sim / 0.2, 1)
    entropy = -(p * p.log()).sum()
    assert entropy.item() == pytest.approx(0.040674, abs=5e-7)
    close(ddm_loss(weak_sim, weak_sim.clone(), 0.2), entropy)

    # Same numbers through the module; no gradient reaches the weak query.
    cand = torch.tensor([k, [0.0, 1.0], [-1.0, 0.0]], dtype=F64)
    weak = torch.tensor([[q_w]], dtype=F64, requires_grad=True)
    strong = torch.tensor([[q_s]], dtype=F64, requires_grad=True)
    loss = DDMLoss(temperature=0.2)(weak, strong, cand)
    assert loss.item() == pytest.approx(1.307506, abs=5e-7)
    grad_weak, grad_strong = grads(loss, [weak, strong])
    assert grad_weak is None or not grad_weak.any()
    assert grad_strong.abs().max() > 0.1
    close(DDMLoss(temperature=0.2)(weak, weak.clone(), cand), entropy)


def test_ddm_minimum_is_entropy_at_equal_similarities():
    g = gen(10)
    weak_sim = torch.randn(4, 7, generator=g, dtype=F64)
    at_min = ddm_loss(weak_sim, weak_sim.clone(), 0.2)
    p = torch.softmax(weak_sim / 0.2, 1)
    close(at_min, -(p * p.log()).sum(1).mean())
    for _ in range(5):
        assert ddm_loss(weak_sim, weak_sim + 0.3 * torch.randn(4, 7, generator=g, dtype=F64), 0.2) > at_min


@pytest.mark.parametrize('pairs,terms', [('all', 25), ('first_weak', 5)])
def test_ddm_multi_crop_sums_terms(pairs, terms):
    g = gen(11)
    weak, strong, cand = unit(3, 5, 4, g=g), unit(3, 5, 4, g=g), unit(9, 4, g=g)
    expected = sum(
        ddm_loss(weak[:, w] @ cand.T, strong[:, s] @ cand.T, 0.2)
        for w in range(5 if pairs == 'all' else 1)
        for s in range(5)
    )
    close(DDMLoss(pairs=pairs)(weak, strong, cand), expected)
    single = ddm_loss(weak[:, 0] @ cand.T, strong[:, 0] @ cand.T, 0.2)
    assert not torch.allclose(expected, terms * single)  # the terms do differ


@pytest.mark.parametrize(
    'shape,pairs', [((4, 1, 1, 6, 3), 'all'), ((3, 2, 3, 8, 5), 'all'), ((5, 3, 2, 7, 4), 'first_weak')]
)
def test_ddm_matches_reference(shape, pairs):
    batch, n_weak, n_strong, n_cand, dim = shape
    g = gen(batch + n_cand)
    weak, strong, cand = unit(batch, n_weak, dim, g=g), unit(batch, n_strong, dim, g=g), unit(n_cand, dim, g=g)
    loss = DDMLoss(temperature=0.15, pairs=pairs, loss_weight=0.5)
    check_value_and_grads(loss, lambda w, s, c: 0.5 * ref_ddm(w, s, c, 0.15, pairs), [weak, strong, cand])


# ----------------------------------------------------------------------------------------------------------------
# PaCo / GPaCo
# ----------------------------------------------------------------------------------------------------------------


def paco_inputs(batch, num_classes, queue_size, gpaco, seed=0, dim=6):
    g = gen(seed)
    f = unit(batch, 2, dim, g=g)
    labels = torch.randint(0, num_classes, (batch,), generator=g)
    sup = torch.randn(*((batch, 2) if gpaco else (batch,)), num_classes, generator=g, dtype=F64)
    queue = unit(queue_size, dim, g=g) if queue_size else None
    queue_labels = torch.randint(0, num_classes, (queue_size,), generator=g) if queue_size else None
    return f, labels, sup, queue, queue_labels


PACO_CASES = [
    dict(),
    dict(alpha=0.5, beta=0.7, gamma=0.0, supt=0.5),
    dict(alpha=0.2, temperature=0.07, base_temperature=0.1, class_prior=[5, 1, 2, 8]),
    dict(gpaco=True, smooth=0.1, alpha=0.3),
    dict(gpaco=True, alpha=0.05, gamma=0.5, class_prior=[1, 1, 3, 2]),
]


@pytest.mark.parametrize('queue_size', [0, 7])
@pytest.mark.parametrize('kwargs', PACO_CASES)
def test_paco_matches_reference(kwargs, queue_size):
    f, labels, sup, queue, queue_labels = paco_inputs(6, 4, queue_size, kwargs.get('gpaco', False), seed=queue_size)
    loss = PaCoLoss(num_classes=4, loss_weight=1.3, **kwargs)
    check_value_and_grads(
        lambda x, s: loss(x, labels, s, queue, queue_labels),
        lambda x, s: 1.3 * ref_paco(x, labels, s, queue, queue_labels, num_classes=4, **kwargs),
        [f, sup],
    )


@pytest.mark.parametrize('gpaco', [False, True])
def test_paco_alpha_gamma_zero_is_cross_entropy(gpaco):
    f, labels, sup, queue, queue_labels = paco_inputs(8, 5, 6, gpaco, seed=1)
    loss = PaCoLoss(num_classes=5, alpha=0.0, gamma=0.0, supt=0.7, gpaco=gpaco)(f, labels, sup, queue, queue_labels)
    if gpaco:
        expected = F.cross_entropy(sup.transpose(0, 1).reshape(-1, 5) / 0.7, labels.repeat(2))
    else:
        expected = F.cross_entropy(sup / 0.7, labels)
    close(loss, expected)


def test_gpaco_smoothing_follows_official_code():
    # alpha = gamma = 0: the smoothed cross-entropy with 1 - s on the label and s / (C - 1) elsewhere.
    f, labels, sup, _, _ = paco_inputs(6, 5, 0, True, seed=2)
    loss = PaCoLoss(num_classes=5, alpha=0.0, gamma=0.0, smooth=0.1, gpaco=True)(f, labels, sup)
    one_hot = F.one_hot(labels.repeat(2), 5).to(F64)
    target = 0.9 * one_hot + 0.1 / 4 * (1 - one_hot)
    expected = -(target * F.log_softmax(sup.transpose(0, 1).reshape(-1, 5), 1)).sum(1).mean()
    close(loss, expected)


def test_paco_row_weights_normalise():
    # Rows are divided by beta + alpha |P(i)|: scaling alpha and beta together changes nothing.
    f, labels, sup, queue, queue_labels = paco_inputs(6, 3, 5, False, seed=3)
    a = PaCoLoss(num_classes=3, alpha=0.1, beta=1.0)(f, labels, sup, queue, queue_labels)
    b = PaCoLoss(num_classes=3, alpha=0.3, beta=3.0)(f, labels, sup, queue, queue_labels)
    c = PaCoLoss(num_classes=3, alpha=0.3, beta=1.0)(f, labels, sup, queue, queue_labels)
    close(a, b)
    assert (a - c).abs() > 1e-4


@pytest.mark.parametrize('gpaco', [False, True])
def test_paco_relabelling_invariance(gpaco):
    f, labels, sup, queue, queue_labels = paco_inputs(8, 4, 9, gpaco, seed=4)
    loss = PaCoLoss(num_classes=4, alpha=0.4, gpaco=gpaco)
    perm = torch.tensor([2, 0, 3, 1])  # class c -> perm[c]
    sup_relabelled = torch.empty_like(sup)
    sup_relabelled[..., perm] = sup
    base = loss(f, labels, sup, queue, queue_labels)
    close(loss(f, perm[labels], sup_relabelled, queue, perm[queue_labels]), base)
    # Relabelling the batch but not the queue changes the positives.
    assert (loss(f, perm[labels], sup_relabelled, queue, queue_labels) - base).abs() > 1e-4


@pytest.mark.parametrize('gpaco', [False, True])
def test_paco_batch_permutation_invariance(gpaco):
    f, labels, sup, queue, queue_labels = paco_inputs(7, 3, 5, gpaco, seed=5)
    perm = torch.randperm(7, generator=gen(5))
    loss = PaCoLoss(num_classes=3, alpha=0.3, gpaco=gpaco)
    close(loss(f[perm], labels[perm], sup[perm], queue, queue_labels), loss(f, labels, sup, queue, queue_labels))


def test_paco_class_prior_is_logit_adjustment():
    # alpha = gamma = 0 with a prior: CE(sup + log(prior / sum(prior) + 1e-9)).
    f, labels, sup, _, _ = paco_inputs(6, 4, 0, False, seed=6)
    prior = [10.0, 1.0, 4.0, 5.0]
    loss = PaCoLoss(num_classes=4, alpha=0.0, gamma=0.0, class_prior=prior)(f, labels, sup)
    adjusted = sup + torch.log(torch.tensor(prior, dtype=F64) / 20 + 1e-9)
    close(loss, F.cross_entropy(adjusted, labels))
    assert (loss - F.cross_entropy(sup, labels)).abs() > 1e-3


# ----------------------------------------------------------------------------------------------------------------
# ReLIC
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('alpha', [0.0, 1.0, 0.4])
@pytest.mark.parametrize('batch,source_views,target_views', [(5, 2, 2), (4, 4, 2), (3, 5, 3)])
def test_relic_matches_reference(alpha, batch, source_views, target_views):
    g = gen(batch * source_views)
    online, target = unit(batch, source_views, 6, g=g), unit(batch, target_views, 6, g=g)
    loss = ReLICLoss(temperature=0.2, alpha=alpha, loss_weight=0.8)
    check_value_and_grads(lambda o: loss(o, target), lambda o: 0.8 * ref_relic(o, target, 0.2, alpha), [online])


def test_relic_alpha_zero_is_mean_cross_entropy_over_pairs():
    g = gen(12)
    online, target = unit(5, 3, 6, g=g), unit(5, 2, 6, g=g)
    labels = torch.arange(5)
    pairs = [(a, b) for a in range(3) for b in range(2) if a != b]
    expected = sum(F.cross_entropy(online[:, a] @ target[:, b].T / 0.1, labels) for a, b in pairs) / len(pairs)
    close(ReLICLoss(alpha=0.0)(online, target), expected)
    assert ReLICLoss(alpha=1.0)(online, target) > expected


def test_relic_no_gradient_into_target():
    g = gen(13)
    online, target = unit(4, 3, 5, g=g).requires_grad_(), unit(4, 2, 5, g=g).requires_grad_()
    grad_online, grad_target = grads(ReLICLoss(alpha=1.0)(online, target), [online, target])
    assert grad_target is None or not grad_target.any()
    assert grad_online.abs().max() > 0


@pytest.mark.parametrize('alpha', [0.0, 1.0])
def test_relic_batch_permutation_invariance(alpha):
    g = gen(14)
    online, target, perm = unit(6, 3, 5, g=g), unit(6, 2, 5, g=g), torch.randperm(6, generator=g)
    loss = ReLICLoss(alpha=alpha)
    close(loss(online[perm], target[perm]), loss(online, target))


# ----------------------------------------------------------------------------------------------------------------
# CMC
# ----------------------------------------------------------------------------------------------------------------


def cmc_inputs(batch=5, views=2, size=12, k=4, dim=6, seed=0):
    g = gen(seed)
    f = unit(batch, views, dim, g=g)
    banks = unit(views, size, dim, g=g)
    indices = torch.randperm(size, generator=g)[:batch]
    negatives = torch.randint(0, size, (batch, k), generator=g)
    return f, banks, indices, negatives


@pytest.mark.parametrize('views', [2, 3])
@pytest.mark.parametrize('loss_type', ['softmax', 'nce'])
def test_cmc_matches_reference(loss_type, views):
    f, banks, indices, negatives = cmc_inputs(views=views, seed=views)
    loss = CMCLoss(temperature=0.07, loss_type=loss_type, loss_weight=0.5)
    partition = torch.tensor([3.0e3, 5.0e2, 1.0e4][:views], dtype=F64)
    check_value_and_grads(
        lambda x: loss(x, banks, indices, negatives, partition),
        lambda x: 0.5 * ref_cmc(x, banks, indices, negatives, 0.07, loss_type, partition),
        [f],
    )


def test_cmc_partition_estimate():
    f, banks, indices, negatives = cmc_inputs(views=3, seed=15)
    loss = CMCLoss(temperature=0.07, loss_type='nce')
    z = loss.estimate_partition(f, banks, indices, negatives)
    close(z, ref_cmc_partition(f, banks, indices, negatives, 0.07))
    # Without a partition the loss estimates it from the batch.
    expected = ref_cmc(f, banks, indices, negatives, 0.07, 'nce', ref_cmc_partition(f, banks, indices, negatives, 0.07))
    close(loss(f, banks, indices, negatives), expected)


def test_cmc_banks_get_no_gradient_and_negatives_default_uniform():
    f, banks, indices, _ = cmc_inputs(seed=16)
    f, banks = f.clone().requires_grad_(), banks.clone().requires_grad_()
    loss = CMCLoss(num_negatives=6)
    torch.manual_seed(0)
    value = loss(f, banks, indices)
    grad_f, grad_banks = grads(value, [f, banks])
    assert grad_banks is None or not grad_banks.any()
    assert grad_f.abs().max() > 0
    torch.manual_seed(0)
    negatives = torch.randint(banks.shape[1], (f.shape[0], 6))
    close(value, loss(f, banks, indices, negatives))


def test_cmc_momentum_update():
    f, banks, indices, _ = cmc_inputs(batch=4, views=2, size=10, seed=17)
    old = banks.clone()
    cmc_momentum_update(banks, f, indices, 0.5)
    for v in range(2):
        for m in range(10):
            if m in indices.tolist():
                i = indices.tolist().index(m)
                mixed = 0.5 * old[v, m] + 0.5 * f[i, v]
                close(banks[v, m], mixed / mixed.norm())
            else:
                assert torch.equal(banks[v, m], old[v, m])
    close(banks.norm(dim=-1), torch.ones(2, 10, dtype=F64))


# ----------------------------------------------------------------------------------------------------------------
# MoCHi (with InfoNCELoss extra negatives)
# ----------------------------------------------------------------------------------------------------------------


def mochi_inputs(batch=4, queue_size=12, dim=8, seed=0):
    g = gen(seed)
    return unit(batch, 2, dim, g=g), unit(queue_size, dim, g=g)


def in_plane(h, a, b):
    """Coefficients (x, y) with h = x a + y b when h lies in span{a, b}, else None."""
    basis = torch.stack([a, b], 1)
    coef = torch.linalg.lstsq(basis, h[:, None]).solution[:, 0]
    return coef if (basis @ coef - h).abs().max() < 1e-8 else None


def test_mochi_off_is_exactly_moco():
    f, queue = mochi_inputs(seed=20)
    extra = MoCHiMixer(num_hard=5, num_mix=0, num_query_mix=0)(f[:, 0], queue)
    assert extra.shape == (4, 0, 8)
    loss = InfoNCELoss(temperature=0.2)
    assert torch.equal(loss(f, queue, extra_negatives=extra), loss(f, queue))


def test_infonce_extra_negatives_match_reference():
    f, queue = mochi_inputs(seed=21)
    extra = MoCHiMixer(num_hard=5, num_mix=3, num_query_mix=2)(f[:, 0], queue, generator=gen(1))
    q, k = f[:, 0], f[:, 1]
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T, torch.einsum('bd,bsd->bs', q, extra)], 1) / 0.2
    expected = F.cross_entropy(logits, torch.zeros(4, dtype=torch.long))
    close(InfoNCELoss(temperature=0.2)(f, queue, extra_negatives=extra), expected)
    assert (expected - InfoNCELoss(temperature=0.2)(f, queue)).abs() > 1e-4


def test_mochi_hard_indices_are_top_n():
    f, queue = mochi_inputs(seed=22)
    q = f[:, 0]
    hard = MoCHiMixer(num_hard=5).hard_indices(q, queue)
    expected = torch.argsort(q @ queue.T, dim=1, descending=True)[:, :5]
    assert torch.equal(hard.sort(1).values, expected.sort(1).values)


def test_mochi_synthetic_negatives():
    f, queue = mochi_inputs(seed=23)
    q = f[:, 0]
    before = queue.clone()
    mixer = MoCHiMixer(num_hard=4, num_mix=6, num_query_mix=5)
    out = mixer(q.clone().requires_grad_(), queue, generator=gen(2))
    assert out.shape == (4, 11, 8) and not out.requires_grad
    assert torch.equal(queue, before)
    close(out.norm(dim=-1), torch.ones(4, 11, dtype=F64))
    hard = torch.argsort(q @ queue.T, dim=1, descending=True)[:, :4]
    for i in range(4):
        negs = queue[hard[i]]
        # s mixes lie on the arc between two hard negatives (a n_i + (1 - a) n_j, a in [0, 1]).
        for h in out[i, :6]:
            fits = [in_plane(h, negs[a], negs[b]) for a in range(4) for b in range(4) if a < b]
            fits += [torch.ones(2) if torch.allclose(h, n) else None for n in negs]
            assert any(c is not None and (c >= -1e-9).all() for c in fits)
        # s' mixes are b q + (1 - b) n_j with b in [0, 0.5]: closer to q than n_j.
        for h in out[i, 6:]:
            found = False
            for n in negs:
                c = in_plane(h, q[i], n)
                if c is not None and (c >= -1e-9).all() and c[0] <= c[1] + 1e-9:
                    found = True
                    assert q[i] @ h >= q[i] @ n - 1e-12
            assert found
            assert q[i] @ h >= (negs @ q[i]).min() - 1e-12


def test_mochi_start_epoch_and_determinism():
    f, queue = mochi_inputs(seed=24)
    mixer = MoCHiMixer(num_hard=5, num_mix=3, num_query_mix=2, start_epoch=5)
    assert mixer(f[:, 0], queue, epoch=4).shape == (4, 0, 8)
    a = mixer(f[:, 0], queue, epoch=5, generator=gen(3))
    b = mixer(f[:, 0], queue, epoch=5, generator=gen(3))
    c = mixer(f[:, 0], queue, epoch=None, generator=gen(4))
    assert a.shape == (4, 5, 8) and torch.equal(a, b) and not torch.equal(a, c)


def test_mochi_start_iter():
    f, queue = mochi_inputs(seed=25)
    mixer = MoCHiMixer(num_hard=5, num_mix=3, num_query_mix=2, start_epoch=1, start_iter=10)
    assert mixer(f[:, 0], queue, epoch=0, iteration=20).shape == (4, 0, 8)  # both delays must have passed
    assert mixer(f[:, 0], queue, epoch=1, iteration=9).shape == (4, 0, 8)
    assert mixer(f[:, 0], queue, epoch=1, iteration=10).shape == (4, 5, 8)
    assert mixer(f[:, 0], queue, epoch=None, iteration=None).shape == (4, 5, 8)
    with pytest.raises(ValueError, match='start_iter'):
        MoCHiMixer(start_iter=-1)


# ----------------------------------------------------------------------------------------------------------------
# gradcheck (float64, features normalised inside)
# ----------------------------------------------------------------------------------------------------------------


def raw(*shape, seed=0):
    return torch.randn(*shape, generator=gen(seed), dtype=F64, requires_grad=True)


def nz(x):
    return F.normalize(x, dim=-1)


def test_gradcheck_paco():
    labels, queue_labels = torch.tensor([0, 1, 0]), torch.tensor([1, 0])
    queue = unit(2, 3, g=gen(1))
    for kwargs in (dict(alpha=0.5), dict(alpha=0.3, gpaco=True, smooth=0.1)):
        loss = PaCoLoss(num_classes=2, **kwargs)
        sup = raw(3, 2, 2, seed=2) if kwargs.get('gpaco') else raw(3, 2, seed=2)
        assert torch.autograd.gradcheck(
            lambda x, s, loss=loss: loss(nz(x), labels, s, queue, queue_labels), (raw(3, 2, 3), sup)
        )


def test_gradcheck_sce():
    k, queue = unit(3, 4, g=gen(1)), unit(5, 4, g=gen(2))
    loss = SCELoss(temperature=0.3, temperature_m=0.2)
    assert torch.autograd.gradcheck(lambda q: loss(torch.stack([nz(q), k], 1), queue), (raw(3, 4),))


def test_gradcheck_ddm():
    weak, cand = unit(2, 2, 3, g=gen(1)), unit(4, 3, g=gen(2))
    assert torch.autograd.gradcheck(lambda s: DDMLoss()(weak, nz(s), cand), (raw(2, 2, 3),))


def test_gradcheck_relic():
    # alpha = 0: with alpha > 0 the teacher is a stop-gradient function of `online` itself, so finite
    # differences (which move the teacher too) must disagree; that gradient is checked against the reference.
    target = unit(3, 2, 4, g=gen(1))
    loss = ReLICLoss(temperature=0.3, alpha=0.0)
    assert torch.autograd.gradcheck(lambda o: loss(nz(o), target), (raw(3, 3, 4),))


def test_gradcheck_cmc():
    _, banks, indices, negatives = cmc_inputs(batch=3, size=8, k=3, dim=4, seed=1)
    z = torch.tensor([20.0, 30.0], dtype=F64)
    for loss_type in ('softmax', 'nce'):
        loss = CMCLoss(temperature=0.2, loss_type=loss_type)
        assert torch.autograd.gradcheck(lambda x, loss=loss: loss(nz(x), banks, indices, negatives, z), (raw(3, 2, 4),))


def test_gradcheck_fairkl():
    y, b = torch.tensor([0, 0, 1, 1, 0]), torch.tensor([0, 1, 0, 1, 1])
    assert torch.autograd.gradcheck(lambda x: FairKLLoss(temperature=0.5, kld=0.7)(nz(x), y, b), (raw(5, 1, 3),))


@pytest.mark.parametrize('gamma', [2.0, 1.5, 1.0])
def test_gradcheck_renyi(gamma):
    loss = RenyiContrastiveLoss(temperature=0.5, alpha=0.1, gamma=gamma)
    assert torch.autograd.gradcheck(lambda o, t: loss(nz(o), nz(t)), (raw(3, 3, 4), raw(3, 2, 4, seed=1)))


# ----------------------------------------------------------------------------------------------------------------
# Small temperatures, float32
# ----------------------------------------------------------------------------------------------------------------


def close_views(batch, views, dim, seed):
    g = gen(seed)
    base = torch.randn(batch, 1, dim, generator=g)
    return F.normalize(base + 0.05 * torch.randn(batch, views, dim, generator=g), dim=-1)


def _fairkl_t(f):
    return FairKLLoss(temperature=0.01)(f, torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0, 1, 0, 1, 0, 0]))


def _renyi_t(f):
    return RenyiContrastiveLoss(temperature=0.01)(f, f[:, :2].detach())


def _sce_t(f):
    return SCELoss(temperature=0.01, temperature_m=0.01)(f[:, :2], f[:, 2].detach())


def _ddm_t(f):
    return DDMLoss(temperature=0.01)(f[:, :1], f[:, 1:], f[:, 0].detach())


def _paco_t(f):
    sup = 30 * f[:, 0, :4]
    return PaCoLoss(num_classes=4, temperature=0.01, alpha=0.5)(f[:, :2], torch.tensor([0, 1, 2, 3, 0, 1]), sup)


def _relic_t(f):
    return ReLICLoss(temperature=0.01)(f, f[:, :2].detach())


def _cmc_t(f, loss_type):
    banks = F.normalize(f[:, :2].detach().transpose(0, 1).repeat(1, 2, 1), dim=-1)
    negatives = torch.arange(12).roll(3)[:8].repeat(6, 1)
    return CMCLoss(temperature=0.01, loss_type=loss_type)(f[:, :2], banks, torch.arange(6), negatives)


@pytest.mark.parametrize(
    'fn',
    [
        _fairkl_t,
        _renyi_t,
        _sce_t,
        _ddm_t,
        _paco_t,
        _relic_t,
        lambda f: _cmc_t(f, 'softmax'),
        lambda f: _cmc_t(f, 'nce'),
    ],
    ids=['fairkl', 'renyi', 'sce', 'ddm', 'paco', 'relic', 'cmc_softmax', 'cmc_nce'],
)
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


# ----------------------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------------------

_F = unit(6, 2, 4, g=gen(40))
_Y = torch.tensor([0, 0, 1, 1, 2, 2])
_Q = unit(5, 4, g=gen(41))
_QY = torch.tensor([0, 1, 2, 0, 1])
_SUP = torch.randn(6, 3, dtype=F64)
_BANKS = unit(2, 10, 4, g=gen(42))
_IDX = torch.arange(6)

ERROR_CASES = [
    # FairKL
    (lambda: FairKLLoss(temperature=0), '`temperature` must be > 0'),
    (lambda: FairKLLoss()(2 * _F, _Y, _Y), 'L2-normalised'),
    (lambda: FairKLLoss()(_F[:, 0], _Y, _Y), r'must be shaped \[B, V, D\]'),
    (lambda: FairKLLoss()(_F, None, _Y), '`labels` is required'),
    (lambda: FairKLLoss()(_F, _Y, None), '`bias_labels` is required'),
    (lambda: FairKLLoss()(_F, _Y[:4], _Y), r'`labels` must be shaped \[6\]'),
    (lambda: FairKLLoss(view=2)(_F, _Y, _Y), '`view`=2'),
    # RenyiCL
    (lambda: RenyiContrastiveLoss(temperature=-1), '`temperature` must be > 0'),
    (lambda: RenyiContrastiveLoss(gamma=0), '`gamma` must be > 0'),
    (lambda: RenyiContrastiveLoss(alpha=1.5), '`alpha` must lie in'),
    (lambda: RenyiContrastiveLoss()(_F[:, :1], _F), '`online` needs at least 2 views'),
    (lambda: RenyiContrastiveLoss()(_F, _F[:4]), 'must share B'),
    (lambda: RenyiContrastiveLoss()(_F, torch.cat([_F, _F], 1)), 'T <= S'),
    (lambda: RenyiContrastiveLoss()(_F, 3 * _F), '`target` must be L2-normalised'),
    # SCE
    (lambda: SCELoss(coeff=1.5), '`coeff` must lie in'),
    (lambda: SCELoss(temperature_m=0), '`temperature_m` must be > 0'),
    (lambda: SCELoss()(torch.cat([_F, _F], 1), _Q), r'SCELoss takes features \[B, 2, D\]'),
    (lambda: SCELoss()(_F), 'needs a `queue`'),
    (lambda: SCELoss()(_F, 2 * _Q), '`queue` must be L2-normalised'),
    (lambda: SCELoss()(_F, _Q[None]), r'`queue` must be shaped \[N, D\]'),
    # DDM
    (lambda: DDMLoss(pairs='one'), "`pairs` must be 'all' or 'first_weak'"),
    (lambda: DDMLoss(temperature=0), '`temperature` must be > 0'),
    (lambda: DDMLoss()(_F, _F[:4], _Q), 'must share B'),
    (lambda: DDMLoss()(_F, _F, 2 * _Q), '`candidates` must be L2-normalised'),
    (lambda: DDMLoss()(_F[:, 0], _F, _Q), r'`weak` must be shaped'),
    (lambda: ddm_loss(torch.zeros(2, 3), torch.zeros(2, 4)), 'differ in shape'),
    # PaCo
    (lambda: PaCoLoss(num_classes=0), '`num_classes` must be >= 1'),
    (lambda: PaCoLoss(num_classes=3, smooth=1.0), r'`smooth` must lie in \[0, 1\)'),
    (lambda: PaCoLoss(num_classes=1, smooth=0.1), 'needs `num_classes` >= 2'),
    (lambda: PaCoLoss(num_classes=3, class_prior=[1, 2]), '`class_prior` must have 3 entries'),
    (lambda: PaCoLoss(num_classes=3, supt=0), '`supt` must be > 0'),
    (lambda: PaCoLoss(num_classes=3, temperature=0), '`temperature` must be > 0'),
    (lambda: PaCoLoss(num_classes=3)(_F, None, _SUP), '`labels` is required'),
    (lambda: PaCoLoss(num_classes=3)(_F, _Y.double(), _SUP), 'integer class indices'),
    (lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP[:, :2]), r'`sup_logits` must be shaped \[6, 3\]'),
    (lambda: PaCoLoss(num_classes=3, gpaco=True)(_F, _Y, _SUP), r'`sup_logits` must be shaped \[6, 2, 3\]'),
    (lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP, _Q), 'go together'),
    (lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP, None, _QY), 'go together'),
    (lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP, _Q, _QY[:3]), r'`queue_labels` must be shaped \[5\]'),
    (lambda: PaCoLoss(num_classes=3)(2 * _F, _Y, _SUP), 'L2-normalised'),
    # ReLIC
    (lambda: ReLICLoss(alpha=-1), '`alpha` must be >= 0'),
    (lambda: ReLICLoss(temperature=0), '`temperature` must be > 0'),
    (lambda: ReLICLoss()(_F, _F[:, :1]), '`target` needs at least 2 views'),
    (lambda: ReLICLoss()(_F, torch.cat([_F, _F], 1)), 'T <= S'),
    (lambda: ReLICLoss()(2 * _F, _F), '`online` must be L2-normalised'),
    # CMC
    (lambda: CMCLoss(loss_type='hinge'), "`loss_type` must be 'softmax' or 'nce'"),
    (lambda: CMCLoss(num_negatives=0), '`num_negatives` must be >= 1'),
    (lambda: CMCLoss(temperature=0), '`temperature` must be > 0'),
    (lambda: CMCLoss()(_F, _BANKS[:1], _IDX), r'`banks` must be shaped \[V, M, D\]'),
    (lambda: CMCLoss()(_F, _BANKS, _IDX[:3]), r'`indices` must be shaped \[6\]'),
    (lambda: CMCLoss()(2 * _F, _BANKS, _IDX), 'L2-normalised'),
    # MoCHi and the extra negatives of InfoNCE
    (lambda: MoCHiMixer(num_mix=-1), '`num_mix` must be >= 0'),
    (lambda: MoCHiMixer(num_hard=0), '`num_hard` must be >= 1'),
    (lambda: MoCHiMixer()(_F, _Q), r'query \[B, D\] and queue \[K, D\]'),
    (lambda: MoCHiMixer()(_F[:, 0], _Q[:, :3]), r'query \[B, D\] and queue \[K, D\]'),
    (lambda: InfoNCELoss()(_F, _Q, extra_negatives=_F[:4]), '`extra_negatives` must be'),
    (lambda: InfoNCELoss()(_F, _Q, extra_negatives=2 * _F), '`extra_negatives` must be L2-normalised'),
]


@pytest.mark.parametrize('call,match', ERROR_CASES, ids=[f'{i}:{m[:30]}' for i, (_, m) in enumerate(ERROR_CASES)])
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'cfg,cls',
    [
        (dict(type='FairKLLoss'), FairKLLoss),
        (dict(type='RenyiContrastiveLoss', gamma=1.5), RenyiContrastiveLoss),
        (dict(type='SCELoss', coeff=0.5), SCELoss),
        (dict(type='DDMLoss', pairs='first_weak'), DDMLoss),
        (dict(type='PaCoLoss', num_classes=10), PaCoLoss),
        (dict(type='ReLICLoss', alpha=0.5), ReLICLoss),
        (dict(type='CMCLoss', loss_type='nce'), CMCLoss),
        (dict(type='MoCHiMixer', num_hard=16, num_mix=8, num_query_mix=4), MoCHiMixer),
    ],
)
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
