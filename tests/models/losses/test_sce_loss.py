"""SCELoss and sce_loss: eztorch hand values, a dense reference, target rows, reduction to MoCo, gradcheck, errors."""

import pytest
import torch

from mmssl_ext.models.losses import QueueInfoNCELoss, SCELoss, sce_loss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import (
    F64,
    check_value_and_grads,
    close,
    close_views,
    gen,
    grads,
    nz,
    raw,
    row_log_softmax,
    unit,
)


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
        moco = QueueInfoNCELoss(temperature=0.2)(f, queue)
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


def test_gradcheck_sce():
    k, queue = unit(3, 4, g=gen(1)), unit(5, 4, g=gen(2))
    loss = SCELoss(temperature=0.3, temperature_m=0.2)
    assert torch.autograd.gradcheck(lambda q: loss(torch.stack([nz(q), k], 1), queue), (raw(3, 4),))


def _sce_t(f):
    return SCELoss(temperature=0.01, temperature_m=0.01)(f[:, :2], f[:, 2].detach())


@pytest.mark.parametrize('fn', [_sce_t], ids=['sce'])
def test_finite_at_small_temperature_float32(fn):
    f = close_views(6, 3, 8, seed=30).requires_grad_()
    loss = fn(f)
    (grad,) = grads(loss, [f])
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss) and torch.isfinite(grad).all()


_F = unit(6, 2, 4, g=gen(40))
_Q = unit(5, 4, g=gen(41))


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: SCELoss(coeff=1.5), '`coeff` must lie in', id='14:`coeff` must lie in'),
        pytest.param(
            lambda: SCELoss(temperature_m=0), '`temperature_m` must be > 0', id='15:`temperature_m` must be > 0'
        ),
        pytest.param(
            lambda: SCELoss()(torch.cat([_F, _F], 1), _Q),
            r'SCELoss takes features \[B, 2, D\]',
            id='16:SCELoss takes features \\[B, 2,',
        ),
        pytest.param(lambda: SCELoss()(_F), 'needs a `queue`', id='17:needs a `queue`'),
        pytest.param(
            lambda: SCELoss()(_F, 2 * _Q), '`queue` must be L2-normalised', id='18:`queue` must be L2-normalised'
        ),
        pytest.param(
            lambda: SCELoss()(_F, _Q[None]),
            r'`queue` must be shaped \[N, D\]',
            id='19:`queue` must be shaped \\[N, D\\',
        ),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize('cfg,cls', [pytest.param(dict(type='SCELoss', coeff=0.5), SCELoss, id='cfg2-SCELoss')])
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
