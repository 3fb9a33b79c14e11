"""CLSA: hand values (methods.md 1.7), reduction to MoCo v2, in-batch negatives, multi-crop, DDM gradient flow."""

import math

import pytest
import torch

from mmssl_ext.models.algorithms import CLSA
from tests.models.algorithms.moco_helpers import (
    FEAT_DIM,
    QUEUE_LEN,
    B,
    assert_same_grads,
    assert_same_queue,
    build,
    clone_into,
    hand_ddm,
    hand_moco_ce,
    images,
    step,
    unit,
)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def hand_clsa():
    model = build('CLSA', queue_len=2, feat_dim=2)
    assert isinstance(model, CLSA)
    weak = torch.tensor([[[1.0, 0.0]]], requires_grad=True)  # [N=1, Lw=1, D=2]
    strong = torch.tensor([[[0.6, 0.8]]], requires_grad=True)
    key = torch.tensor([[1.0, 0.0]])
    negatives = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])  # queue columns (0,1), (-1,0)
    return model, weak, strong, key, negatives


def test_clsa_hand_values():
    model, weak, strong, key, negatives = hand_clsa()
    losses = model.clsa_losses(weak, strong, key, negatives)
    assert set(losses) == {'loss_contrast', 'loss_ddm'}
    # methods.md gives 6 decimals: within half a unit of the 6th decimal plus float32 rounding
    assert losses['loss_contrast'].item() == pytest.approx(0.006760, abs=1e-6)
    assert losses['loss_ddm'].item() == pytest.approx(1.307506, abs=1e-6)
    assert sum(losses.values()).item() == pytest.approx(1.314267, abs=1e-6)
    assert losses['loss_contrast'].item() == pytest.approx(math.log(1 + math.exp(-5) + math.exp(-10)), abs=1e-7)

    grad_w, grad_s = torch.autograd.grad(losses['loss_ddm'], [weak, strong], allow_unused=True)
    assert grad_w is None or not grad_w.any()
    candidates = torch.cat([key, negatives])  # rows: k, queue columns
    p = torch.softmax(torch.tensor([1.0, 0.0, -1.0]) / 0.2, 0)
    r = torch.softmax(torch.tensor([0.6, 0.8, -0.6]) / 0.2, 0)
    coeff = (r - p) / 0.2
    torch.testing.assert_close(coeff, torch.tensor([-3.62250, 3.61940, 0.00311]), rtol=0, atol=1e-5)
    torch.testing.assert_close(grad_s[0, 0], coeff @ candidates, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad_s[0, 0], torch.tensor([-3.62561, 3.61940]), rtol=0, atol=2e-5)


def test_clsa_ddm_invariance_and_minimum():
    model, weak, _, key, negatives = hand_clsa()
    h_p = model.clsa_losses(weak, weak.detach().clone(), key, negatives)['loss_ddm']
    assert h_p.item() == pytest.approx(0.040674, abs=1e-6)
    p = torch.softmax(torch.tensor([1.0, 0.0, -1.0]) / 0.2, 0)
    assert h_p.item() == pytest.approx(-(p * p.log()).sum().item(), rel=1e-6)
    for angle in torch.linspace(0, 2 * math.pi, 13)[1:-1]:  # H(p) is the minimum over unit q_s
        q_s = torch.stack([angle.cos(), angle.sin()]).view(1, 1, 2)
        assert model.clsa_losses(weak, q_s, key, negatives)['loss_ddm'] >= h_p - 1e-6


def test_clsa_constructor_checks():
    with pytest.raises(ValueError, match='num_weak'):
        build('CLSA', num_weak=0)
    with pytest.raises(ValueError, match='num_strong'):
        build('CLSA', num_strong=-1)


NO_IN_BATCH = dict(type='QueueInfoNCELoss', temperature=0.2, in_batch_negatives=False)


@pytest.mark.parametrize('num_strong', [1, 0], ids=['strong1', 'strong0'])
def test_clsa_reduces_to_mocov2(num_strong):
    clsa = build(
        'CLSA',
        loss=NO_IN_BATCH,
        ddm_loss=dict(type='DDMLoss', temperature=0.2, loss_weight=0.0),
        num_weak=1,
        num_strong=num_strong,
    )
    moco = clone_into(clsa, 'MoCoV2')
    for it in range(2):
        key, weak, strong = images(16, 16, 8, seed=it)  # strong of another size: its own BN batch
        inputs = [key, weak, strong][: 2 + num_strong]
        losses, total = step(clsa, inputs, seed=20 + it)
        _, ref_total = step(moco, [weak, key], seed=20 + it)
        assert set(losses) == {'loss_contrast'}
        torch.testing.assert_close(total, ref_total, rtol=1e-6, atol=0)
        assert_same_grads(clsa, moco)
        assert_same_queue(clsa, moco)


def test_clsa_in_batch_negatives_hand_ce():
    # on embeddings
    model = build('CLSA', num_strong=0)
    weak, key, negatives = unit(B, FEAT_DIM, 1)[:, None], unit(B, FEAT_DIM, 2), unit(QUEUE_LEN, FEAT_DIM, 3)
    strong = weak.new_zeros(B, 0, FEAT_DIM)
    got = model.clsa_losses(weak, strong, key, negatives)
    assert set(got) == {'loss_contrast'}
    expected = hand_moco_ce(weak[:, 0], key, negatives, in_batch=True)
    torch.testing.assert_close(got['loss_contrast'], expected, rtol=1e-6, atol=1e-7)
    assert not torch.allclose(expected, hand_moco_ce(weak[:, 0], key, negatives))  # the test discriminates

    # in a full step, against embeddings recomputed by an identical model
    model = build('CLSA', num_strong=1)
    twin = clone_into(model, 'CLSA', num_strong=1)
    inputs = images(16, 16, 8)
    negatives = model.negatives()
    losses, _ = step(model, inputs, seed=3)
    with torch.no_grad():
        torch.manual_seed(3)
        k = twin.encode_key(inputs[0])
        q_w, q_s = twin.encode_queries(inputs[1:])
    torch.testing.assert_close(
        losses['loss_contrast'], hand_moco_ce(q_w, k, negatives, in_batch=True), rtol=1e-5, atol=1e-6
    )
    torch.testing.assert_close(losses['loss_ddm'], hand_ddm(q_w, q_s, torch.cat([k, negatives])), rtol=1e-5, atol=1e-6)
    assert torch.equal(model.queue[:, :B], k.T)


SIZES = [16, 14, 12, 10, 8]


def build_multi(**kwargs):
    return build('CLSA', num_weak=5, num_strong=5, **kwargs)


def count_backbone_calls(model, fn):
    calls = []
    handle = model.backbone.register_forward_hook(lambda *args: calls.append(1))
    try:
        out = fn()
    finally:
        handle.remove()
    return len(calls), out


def test_clsa_multi_sums_5_contrast_and_25_ddm_terms():
    model = build_multi()
    twin = clone_into(model, 'CLSA', num_weak=5, num_strong=5)
    inputs = images(16, *SIZES, *SIZES)
    negatives = model.negatives()
    losses, _ = step(model, inputs, seed=4)
    with torch.no_grad():
        torch.manual_seed(4)
        k = twin.encode_key(inputs[0])
        queries = twin.encode_queries(inputs[1:])
    weak, strong = queries[:5], queries[5:]
    candidates = torch.cat([k, negatives])
    contrast = sum(hand_moco_ce(q, k, negatives, in_batch=True) for q in weak)
    ddm = sum(hand_ddm(w, s, candidates) for w in weak for s in strong)
    torch.testing.assert_close(losses['loss_contrast'], contrast, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(losses['loss_ddm'], ddm, rtol=1e-5, atol=1e-6)
    # not a mean: one term alone is far smaller
    assert losses['loss_ddm'] > 5 * hand_ddm(weak[0], strong[0], candidates)


def test_clsa_group_views_same_embeddings_in_eval():
    grouped = build_multi(group_views=True)
    single = clone_into(grouped, 'CLSA', num_weak=5, num_strong=5, group_views=False)
    views = images(*SIZES, *SIZES, seed=5)
    grouped.eval()
    single.eval()
    with torch.no_grad():
        a, b = grouped.encode_queries(views), single.encode_queries(views)
    assert len(a) == len(b) == 10
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.shape == (B, FEAT_DIM)
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6, msg=f'view {i}')
    # views are distinct, so an output mix-up would be seen
    assert not torch.allclose(a[0], a[5], atol=1e-3)


@pytest.mark.parametrize(
    'sizes, group_views, expected',
    [
        (SIZES + SIZES, True, 5),
        (SIZES + SIZES, False, 10),
        ([16] * 5 + [8] * 5, True, 2),
        ([16, 8, 16, 8, 12] + [8] * 5, True, 3),
    ],
    ids=['5-sizes-grouped', '5-sizes-ungrouped', '2-sizes', '3-sizes-interleaved'],
)
def test_clsa_backbone_calls_per_distinct_size(sizes, group_views, expected):
    model = build_multi(group_views=group_views)
    inputs = images(16, *sizes, seed=6)
    calls, losses = count_backbone_calls(model, lambda: model.loss(inputs, None))
    assert calls == expected
    assert set(losses) == {'loss_contrast', 'loss_ddm'}
    # grouping keeps the order of the embeddings
    model.eval()
    with torch.no_grad():
        grouped = model.encode_queries(inputs[1:])
        for i, view in enumerate(inputs[1:]):
            torch.testing.assert_close(grouped[i], model.encode_query(view), rtol=1e-5, atol=1e-6)


def test_clsa_wrong_view_count():
    model = build_multi()
    with pytest.raises(ValueError, match='11'):
        model.loss(images(16, *SIZES, *SIZES[:4]), None)
    single = build('CLSA')
    with pytest.raises(ValueError, match='3'):
        single.loss(images(16, 16), None)


def test_ddm_gradient_only_through_strong_on_embeddings():
    model = build_multi()
    weak = unit(B * 5, FEAT_DIM, 1).view(B, 5, FEAT_DIM).requires_grad_()
    strong = unit(B * 5, FEAT_DIM, 2).view(B, 5, FEAT_DIM).requires_grad_()
    key = unit(B, FEAT_DIM, 3).requires_grad_()
    negatives = unit(QUEUE_LEN, FEAT_DIM, 4).requires_grad_()
    losses = model.clsa_losses(weak, strong, key, negatives)
    losses['loss_ddm'].backward()
    assert weak.grad is None or not weak.grad.any()
    assert key.grad is None or not key.grad.any()
    assert negatives.grad is None or not negatives.grad.any()
    assert strong.grad is not None and strong.grad.abs().sum(-1).gt(0).all()  # every strong view of every sample


def test_ddm_gradient_in_full_step_reaches_backbone_only_via_strong():
    model = build('CLSA', num_weak=2, num_strong=2)
    twin = clone_into(model, 'CLSA', num_weak=2, num_strong=2)
    inputs = images(16, 16, 12, 16, 12, seed=8)  # weak_i and strong_i share a BN group
    negatives = model.negatives()

    # full CLSA.loss step, backward of the DDM term alone
    twin.zero_grad(set_to_none=True)
    torch.manual_seed(9)
    twin.loss(inputs, None)['loss_ddm'].backward()
    full = {n: p.grad.clone() for n, p in twin.named_parameters() if p.grad is not None}
    assert any(n.startswith('backbone.') and g.any() for n, g in full.items())
    assert not any(n.startswith('encoder_k.') for n in full)

    # the same step by hand, the weak queries kept as graph nodes
    torch.manual_seed(9)
    key = model.encode_key(inputs[0])
    queries = model.encode_queries(inputs[1:])
    weak, strong = torch.stack(queries[:2], 1), torch.stack(queries[2:], 1)
    weak.retain_grad()
    strong.retain_grad()
    model.zero_grad(set_to_none=True)
    model.clsa_losses(weak, strong, key, negatives)['loss_ddm'].backward(retain_graph=True)
    assert weak.grad is None or not weak.grad.any()
    assert strong.grad is not None and strong.grad.any()
    for name, p in model.named_parameters():
        if name in full:
            torch.testing.assert_close(p.grad, full[name], rtol=1e-5, atol=1e-7, msg=name)
        else:
            assert p.grad is None or not p.grad.any(), name

    # the same backbone gradient with the weak queries cut off from the graph
    model.zero_grad(set_to_none=True)
    model.clsa_losses(weak.detach(), strong, key, negatives)['loss_ddm'].backward()
    for name, p in model.named_parameters():
        if name in full:
            torch.testing.assert_close(p.grad, full[name], rtol=1e-5, atol=1e-7, msg=name)
