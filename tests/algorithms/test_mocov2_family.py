"""MoCo v2 family (MoCoV2, CLSA, MoCHi, feature augmentation): equivalences with mmpretrain, queue, hand values.

Spec: the method notes (methods.md) sections 1 (CLSA, 1.7 hand values), 3 (feature augmentation), 4 (MoCHi).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmpretrain.models.selfsup import BYOL, MoCo, SimSiam

from mmssl_ext.models.algorithms import CLSA, BYOLFeatAug, MoCHi, MoCoV2, MoCoV2FeatAug, SimSiamFeatAug
from mmssl_ext.registry import MODELS

# Tiny ResNet: stem (stride 2 conv + max pool) and one stage of 8 channels, 16x16 -> 4x4.
BACKBONE = dict(
    type='ResNet',
    depth=18,
    num_stages=1,
    out_indices=(0,),
    strides=(1,),
    dilations=(1,),
    stem_channels=8,
    base_channels=8,
)
B = 4
FEAT_DIM = 16
QUEUE_LEN = 32
MOCO_HEAD = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def moco_neck(out_channels=FEAT_DIM):
    return dict(type='MoCoV2Neck', in_channels=8, hid_channels=32, out_channels=out_channels, with_avg_pool=True)


def build(type_, seed=0, queue_len=QUEUE_LEN, feat_dim=FEAT_DIM, **kwargs):
    """A MoCo-family model with the tiny backbone, in train mode."""
    torch.manual_seed(seed)
    cfg = dict(type=type_, backbone=BACKBONE, neck=moco_neck(feat_dim), queue_len=queue_len, feat_dim=feat_dim)
    model = MODELS.build({**cfg, **kwargs})
    return model.train()


def clone_into(src, type_, **kwargs):
    """Build ``type_`` (same tiny architecture) and load ``src``'s full state (EMA encoder and queue included)."""
    dst = build(type_, seed=123, **kwargs)
    dst.load_state_dict(src.state_dict())
    return dst.train()


def images(*sizes, seed=100, batch=B):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, s, s, generator=g) for s in sizes]


def step(model, inputs, seed=7):
    """One training step: seeded loss (shuffle-BN draws a randperm), backward of the summed losses."""
    model.train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    losses = model.loss(inputs, None)
    total = sum(losses.values())
    total.backward()
    return losses, total


def assert_same_grads(a, b, exact=False, rtol=1e-5, atol=1e-6):
    params_a = dict(a.named_parameters())
    params_b = dict(b.named_parameters())
    assert set(params_b) <= set(params_a)
    nonzero = 0
    for name, pb in params_b.items():
        ga, gb = params_a[name].grad, pb.grad
        if gb is None:
            assert ga is None or not ga.any(), name
            continue
        assert ga is not None, name
        nonzero += int(bool(gb.any()))
        if exact:
            assert torch.equal(ga, gb), name
        else:
            torch.testing.assert_close(ga, gb, rtol=rtol, atol=atol, msg=name)
    assert nonzero > 0, 'no parameter received a gradient: the comparison would be vacuous'


def assert_same_queue(a, b):
    assert torch.equal(a.queue, b.queue)
    assert torch.equal(a.queue_ptr, b.queue_ptr)


def hand_moco_ce(q, k, negatives, temperature=0.2, in_batch=False):
    if in_batch:
        logits = torch.cat([q @ k.T, q @ negatives.T], dim=1) / temperature
        target = torch.arange(len(q))
    else:
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ negatives.T], dim=1) / temperature
        target = torch.zeros(len(q), dtype=torch.long)
    return F.cross_entropy(logits, target)


def hand_ddm(weak, strong, candidates, temperature=0.2):
    p = torch.softmax(weak.detach() @ candidates.T / temperature, dim=1)
    return -(p * torch.log_softmax(strong @ candidates.T / temperature, dim=1)).sum(1).mean()


# ----------------------------------------------------------------------------- 1. MoCoV2 == mmpretrain MoCo


def test_mocov2_equals_mmpretrain_moco():
    ours = build('MoCoV2')
    ref = clone_into(ours, 'mmpretrain.MoCo', head=MOCO_HEAD)
    assert type(ref) is MoCo and isinstance(ours, MoCoV2)
    assert_same_queue(ours, ref)
    for it in range(2):  # second step: EMA encoder updated, queue partly filled with real keys
        inputs = images(16, 16, seed=it)
        losses, total = step(ours, inputs, seed=10 + it)
        ref_losses, ref_total = step(ref, inputs, seed=10 + it)
        assert set(losses) == {'loss'}
        torch.testing.assert_close(total, ref_total, rtol=1e-6, atol=0)
        assert_same_grads(ours, ref)
        assert_same_queue(ours, ref)
        assert int(ours.queue_ptr) == (it + 1) * B % QUEUE_LEN
    ref_state = ref.state_dict()
    for name, value in ours.state_dict().items():
        torch.testing.assert_close(value, ref_state[name], rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize('shuffle_bn', [True, False])
def test_mocov2_shuffle_bn(shuffle_bn):
    """The key encoder sees a permutation of the key batch (shuffle-BN); keys come back in sample order."""
    model = build('MoCoV2', shuffle_bn=shuffle_bn)
    seen = []
    handle = model.encoder_k.module[0].register_forward_pre_hook(lambda mod, args: seen.append(args[0].clone()))
    key_view = images(16, batch=8)[0]
    torch.manual_seed(0)
    model.encode_key(key_view)
    handle.remove()
    assert len(seen) == 1
    if shuffle_bn:
        assert not torch.equal(seen[0], key_view)
        perm = [next(j for j in range(8) if torch.equal(row, key_view[j])) for row in seen[0]]
        assert sorted(perm) == list(range(8))
    else:
        assert torch.equal(seen[0], key_view)
    model.encoder_k.eval()  # eval: BN running stats, keys per sample independent of the batch order
    with torch.no_grad():
        torch.manual_seed(0)
        keys = model.encode_key(key_view, update=False)
        torch.testing.assert_close(keys, F.normalize(model.encoder_k(key_view)[0], dim=1), rtol=1e-5, atol=1e-6)


def test_mocov2_view_count_checked():
    model = build('MoCoV2')
    with pytest.raises(ValueError, match='2 views'):
        model.loss(images(16, 16, 16), None)


def test_mocov2_rejects_an_mmpretrain_head():
    # mmpretrain MoCo configs carry the temperature in `head`; silently ignoring it would change the loss
    with pytest.raises(ValueError, match='takes its loss from `loss`'):
        build('MoCoV2', head=MOCO_HEAD)


# ----------------------------------------------------------------------------- 2. MoCoV2 queue


def unit(n, d, seed):
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=1)


def test_enqueue_pointer_and_wraparound():
    k_len, dim = 10, 4
    model = build('MoCoV2', queue_len=k_len, feat_dim=dim)
    ref = model.queue.clone()
    ref_ptr = 0
    for i, batch in enumerate([4, 4, 4, 3, 10, 1, 7, 9]):  # K not a multiple of B; B == K; odd sizes
        keys = unit(batch, dim, seed=i)
        out = model.enqueue(keys)
        assert torch.equal(out, keys)
        for row in keys:  # ring buffer, one key per column
            ref[:, ref_ptr] = row
            ref_ptr = (ref_ptr + 1) % k_len
        assert int(model.queue_ptr) == ref_ptr
        assert torch.equal(model.queue, ref), f'step {i} (batch {batch})'


def test_enqueue_wraparound_columns():
    model = build('MoCoV2', queue_len=10, feat_dim=4)
    first, second, third = unit(4, 4, 1), unit(4, 4, 2), unit(4, 4, 3)
    model.enqueue(first)
    assert int(model.queue_ptr) == 4
    model.enqueue(second)
    assert int(model.queue_ptr) == 8
    model.enqueue(third)  # columns 8, 9, 0, 1
    assert int(model.queue_ptr) == 2
    assert torch.equal(model.queue[:, [8, 9, 0, 1]], third.T)
    assert torch.equal(model.queue[:, 4:8], second.T)
    assert torch.equal(model.queue[:, 2:4], first[2:].T)
    full = unit(10, 4, 4)
    model.enqueue(full)  # B == K: pointer back where it was, every column written in ring order
    assert int(model.queue_ptr) == 2
    assert torch.equal(model.queue[:, [2, 3, 4, 5, 6, 7, 8, 9, 0, 1]], full.T)


def test_symmetric_mocov2_averages_both_directions_and_enqueues_both_keys():
    model = build('MoCoV2', shuffle_bn=False, symmetric=True)
    ref = clone_into(model, 'MoCoV2', shuffle_bn=False)
    x1, x2 = images(16, 16)
    queue = model.queue.T.clone()
    losses, _ = step(model, [x1, x2])
    with torch.no_grad():
        q1, q2 = ref.encode_query(x1), ref.encode_query(x2)
        k2 = ref.encode_key(x2)  # the first update copies the online encoder, as in the model's step
        k1 = ref.encode_key(x1, update=False)
    expected = (hand_moco_ce(q1, k2, queue) + hand_moco_ce(q2, k1, queue)) / 2
    torch.testing.assert_close(losses['loss'], expected, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(expected, hand_moco_ce(q1, k2, queue))  # the second direction counts
    torch.testing.assert_close(model.queue[:, : 2 * B], torch.cat([k2, k1]).T, rtol=1e-5, atol=1e-6)
    assert int(model.queue_ptr) == 2 * B
    assert all(p.grad is not None for p in model.backbone.parameters())


def test_only_filled_queue_contrasts_with_written_keys_only():
    queue_len = 3 * B
    model = build('MoCoV2', shuffle_bn=False, only_filled_queue=True, queue_len=queue_len)
    assert model.negatives().shape == (0, FEAT_DIM)  # the random initialisation is left out
    written = []
    for it in range(4):
        x1, x2 = images(16, 16, seed=200 + it)
        before = model.negatives()
        assert before.shape[0] == min(it * B, queue_len)
        if written:
            torch.testing.assert_close(before, torch.cat(written)[:queue_len])
        ref = clone_into(model, 'MoCoV2', shuffle_bn=False, only_filled_queue=True, queue_len=queue_len)
        losses, _ = step(model, [x1, x2])
        with torch.no_grad():
            q, k = ref.encode_query(x1), ref.encode_key(x2)
        torch.testing.assert_close(losses['loss'], hand_moco_ce(q, k, before), rtol=1e-5, atol=1e-6)
        written.append(k)
    assert int(model.queue_filled) == queue_len and model.negatives().shape == (queue_len, FEAT_DIM)
    # the count is checkpointed; a checkpoint without it (official layout) loads as a full queue
    half = build('MoCoV2', only_filled_queue=True, queue_len=queue_len)
    half.enqueue(unit(B, FEAT_DIM, 5))
    restored = clone_into(half, 'MoCoV2', only_filled_queue=True, queue_len=queue_len)
    assert restored.negatives().shape[0] == B
    official = build('MoCoV2', queue_len=queue_len)
    assert 'queue_filled' not in official.state_dict()
    loaded = clone_into(official, 'MoCoV2', only_filled_queue=True, queue_len=queue_len)
    assert loaded.negatives().shape[0] == queue_len


@pytest.mark.parametrize('momentum', [0.0, 1.0, -0.1, 1.5])
def test_momentum_outside_the_open_interval_is_refused(momentum):
    with pytest.raises(ValueError, match=r'`momentum` must be in \(0, 1\)'):
        build('MoCoV2', momentum=momentum)


def test_enqueue_errors():
    model = build('MoCoV2', queue_len=10, feat_dim=4)
    before = model.queue.clone()
    with pytest.raises(ValueError, match='queue_len'):
        model.enqueue(unit(11, 4, 0))
    for bad in (torch.randn(4, 5), torch.randn(4), torch.randn(2, 4, 4)):
        with pytest.raises(ValueError):
            model.enqueue(bad)
    assert torch.equal(model.queue, before)
    assert int(model.queue_ptr) == 0


def test_queue_is_checkpointed_buffer():
    model = build('MoCoV2', queue_len=10, feat_dim=4)
    buffers = dict(model.named_buffers())
    assert 'queue' in buffers and 'queue_ptr' in buffers
    assert tuple(model.queue.shape) == (4, 10)
    torch.testing.assert_close(model.queue.norm(dim=0), torch.ones(10))  # columns L2-normalised at init
    model.enqueue(unit(3, 4, 0))
    state = model.state_dict()
    assert {'queue', 'queue_ptr'} <= set(state)
    other = build('MoCoV2', seed=5, queue_len=10, feat_dim=4)
    assert not torch.equal(other.queue, model.queue)
    other.load_state_dict(state)
    assert torch.equal(other.queue, model.queue)
    assert int(other.queue_ptr) == 3


def test_negatives_is_a_copy_and_backward_after_enqueue():
    model = build('MoCoV2', queue_len=10, feat_dim=4)
    neg = model.negatives()
    assert neg.shape == (10, 4)
    assert torch.equal(neg, model.queue.T)
    snapshot = neg.clone()
    q = unit(4, 4, 1).requires_grad_()
    k = unit(4, 4, 2)
    loss = model.loss_module(torch.stack([q, k], dim=1), queue=neg)
    model.enqueue(k)
    assert torch.equal(neg, snapshot)  # the snapshot did not follow the queue
    assert not torch.equal(model.queue.T, snapshot)
    model.queue.mul_(0.5)
    assert torch.equal(neg, snapshot)
    loss.backward()  # no "modified by an inplace operation"
    assert q.grad is not None and q.grad.any()
    # the full step enqueues after the loss is built: its backward must work too
    losses, _ = step(build('MoCoV2'), images(16, 16))
    assert torch.isfinite(losses['loss'])


# ----------------------------------------------------------------------------- 3. CLSA hand values (1.7)


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


# ----------------------------------------------------------------------------- 4. CLSA reductions

NO_IN_BATCH = dict(type='InfoNCELoss', temperature=0.2, in_batch_negatives=False)


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


# ----------------------------------------------------------------------------- 5. CLSA multi-crop

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


# ----------------------------------------------------------------------------- 6. DDM gradient flow


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


# ----------------------------------------------------------------------------- 7. MoCHi


@pytest.fixture
def hub_epoch():
    """The current message hub with no 'epoch' or 'iter' (outside a runner); the old info is restored afterwards."""
    hub = MessageHub.get_current_instance()
    old = {key: hub.get_info(key) for key in ('epoch', 'iter')}
    for key in old:
        hub.update_info(key, None)
    yield hub
    for key, value in old.items():
        hub.update_info(key, value)


@pytest.fixture
def hub_max_iters():
    """BYOL's CosineEMA reads 'max_iters' from the message hub; the old info is restored afterwards."""
    hub = MessageHub.get_current_instance()
    old = hub.get_info('max_iters')
    hub.update_info('max_iters', 100)
    yield hub
    hub.update_info('max_iters', old)


def mixer(num_hard=4, num_mix=4, num_query_mix=2, start_epoch=0, start_iter=0):
    return dict(
        type='MoCHiMixer',
        num_hard=num_hard,
        num_mix=num_mix,
        num_query_mix=num_query_mix,
        start_epoch=start_epoch,
        start_iter=start_iter,
    )


def test_mochi_without_mixing_equals_mocov2(hub_epoch):
    mochi = build('MoCHi', mixer=mixer(num_mix=0, num_query_mix=0))
    moco = clone_into(mochi, 'MoCoV2')
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, total = step(mochi, inputs, seed=30 + it)
        _, ref_total = step(moco, inputs, seed=30 + it)
        assert set(losses) == {'loss'}
        assert torch.equal(total, ref_total)
        assert_same_grads(mochi, moco, exact=True)
        assert_same_queue(mochi, moco)


def test_mochi_mixing_changes_loss_not_queue(hub_epoch):
    mochi = build('MoCHi', mixer=mixer())
    moco = clone_into(mochi, 'MoCoV2')
    assert isinstance(mochi, MoCHi)
    for it in range(2):
        inputs = images(16, 16, seed=it)
        _, total = step(mochi, inputs, seed=40 + it)
        _, ref_total = step(moco, inputs, seed=40 + it)
        assert total > ref_total + 1e-4  # extra negatives only enlarge the denominator
        assert_same_queue(mochi, moco)  # synthetic negatives never enqueued


def test_mochi_start_epoch_from_message_hub(hub_epoch):
    mochi = build('MoCHi', mixer=mixer(start_epoch=5))
    moco = clone_into(mochi, 'MoCoV2')
    inputs = images(16, 16)
    hub_epoch.update_info('epoch', 3)
    _, total = step(mochi, inputs, seed=50)
    _, ref_total = step(moco, inputs, seed=50)
    assert torch.equal(total, ref_total)
    assert_same_queue(mochi, moco)
    hub_epoch.update_info('epoch', 5)
    _, total = step(mochi, inputs, seed=51)
    _, ref_total = step(moco, inputs, seed=51)
    assert total > ref_total + 1e-4
    assert_same_queue(mochi, moco)


def test_mochi_start_iter_in_an_iteration_loop(hub_epoch):
    # an IterBasedTrainLoop stays in epoch 0: the delay is counted in the runner's 'iter'
    mochi = build('MoCHi', mixer=mixer(start_iter=7))
    moco = clone_into(mochi, 'MoCoV2')
    inputs = images(16, 16)
    hub_epoch.update_info('epoch', 0)
    hub_epoch.update_info('iter', 6)
    _, total = step(mochi, inputs, seed=52)
    _, ref_total = step(moco, inputs, seed=52)
    assert torch.equal(total, ref_total)
    hub_epoch.update_info('iter', 7)
    _, total = step(mochi, inputs, seed=53)
    _, ref_total = step(moco, inputs, seed=53)
    assert total > ref_total + 1e-4
    assert_same_queue(mochi, moco)


def test_mochi_num_hard_exceeds_queue_len():
    with pytest.raises(ValueError, match='queue_len'):
        build('MoCHi', queue_len=8, mixer=mixer(num_hard=9))


# ----------------------------------------------------------------------------- 8. feature augmentation

IDENTITY_FT = [dict(type='PositiveExtrapolation', lam=1.0), dict(type='NegativeInterpolation', mu=1.0)]
FT = [dict(type='PositiveExtrapolation', alpha=2.0), dict(type='NegativeInterpolation', alpha=1.6)]


def test_mocov2_feataug_zero_weight_is_mocov2():
    model = build('MoCoV2FeatAug', feat_aug=dict(augmenters=FT, loss_weight=0.0, detach_input=False))
    moco = clone_into(model, 'MoCoV2')
    assert isinstance(model, MoCoV2FeatAug)
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, total = step(model, inputs, seed=60 + it)
        _, ref_total = step(moco, inputs, seed=60 + it)
        assert set(losses) == {'loss_base'}
        assert torch.equal(total, ref_total)
        assert_same_grads(model, moco, exact=True)
        assert_same_queue(model, moco)


def test_mocov2_feataug_identity_augmenters():
    model = build('MoCoV2FeatAug', feat_aug=dict(augmenters=IDENTITY_FT, loss_weight=1.0, detach_input=False))
    losses, _ = step(model, images(16, 16))
    assert set(losses) == {'loss_base', 'loss_aug'}
    torch.testing.assert_close(losses['loss_aug'], losses['loss_base'], rtol=1e-6, atol=0)


def test_mocov2_feataug_detached_query_is_refused():
    # A detached query leaves loss_aug without gradient (keys and queue are stop-gradient in MoCo).
    with pytest.raises(ValueError, match='detach_input'):
        build('MoCoV2FeatAug', feat_aug=dict(augmenters=FT, loss_weight=1.0, detach_input=True))
    # Only the negatives augmented: the query keeps its gradient, so detach_input=True is allowed.
    feat_aug = dict(augmenters=dict(type='NegativeInterpolation', mu=0.5), loss_weight=1.0, detach_input=True)
    model = build('MoCoV2FeatAug', feat_aug=feat_aug)
    model.train()
    torch.manual_seed(7)
    losses = model.loss(images(16, 16), None)
    grads = torch.autograd.grad(losses['loss_aug'], list(model.backbone.parameters()), allow_unused=True)
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    # Weight 0 skips the branch, so the combination is harmless there.
    build('MoCoV2FeatAug', feat_aug=dict(augmenters=FT, loss_weight=0.0, detach_input=True))


def test_mocov2_feataug_uses_augmented_negatives():
    feat_aug = dict(augmenters=dict(type='NegativeInterpolation', mu=0.5), loss_weight=1.0)
    model = build('MoCoV2FeatAug', feat_aug=feat_aug)
    moco = clone_into(model, 'MoCoV2')
    inputs = images(16, 16)
    losses, _ = step(model, inputs, seed=75)
    ref_losses, _ = step(moco, inputs, seed=75)
    torch.testing.assert_close(losses['loss_base'], ref_losses['loss'], rtol=1e-6, atol=0)
    assert not torch.allclose(losses['loss_aug'], losses['loss_base'])  # only the negatives differ
    assert_same_queue(model, moco)


def test_mocov2_feataug_queue_untouched_by_augmenters():
    model = build('MoCoV2FeatAug', feat_aug=dict(augmenters=FT, loss_weight=1.0, detach_input=False))
    moco = clone_into(model, 'MoCoV2')
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, _ = step(model, inputs, seed=70 + it)
        ref_losses, _ = step(moco, inputs, seed=70 + it)
        torch.testing.assert_close(losses['loss_base'], ref_losses['loss'], rtol=1e-6, atol=0)
        assert not torch.allclose(losses['loss_aug'], losses['loss_base'])  # the augmenters did act
        assert_same_queue(model, moco)


def test_mocov2_feataug_without_base_loss():
    feat_aug = dict(augmenters=IDENTITY_FT, loss_weight=0.5, detach_input=False)  # FT recipe: gradient kept
    model = build('MoCoV2FeatAug', feat_aug=feat_aug, keep_base_loss=False)
    moco = clone_into(model, 'MoCoV2')
    inputs = images(16, 16)
    losses, _ = step(model, inputs, seed=80)
    ref_losses, _ = step(moco, inputs, seed=80)
    assert set(losses) == {'loss_aug'}
    torch.testing.assert_close(losses['loss_aug'], 0.5 * ref_losses['loss'], rtol=1e-6, atol=0)
    assert_same_queue(model, moco)


def byol_cfg(type_, **kwargs):
    return dict(
        type=type_,
        backbone=BACKBONE,
        neck=dict(
            type='NonLinearNeck',
            in_channels=8,
            hid_channels=16,
            out_channels=8,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_avg_pool=True,
        ),
        head=dict(
            type='LatentPredictHead',
            predictor=dict(
                type='NonLinearNeck',
                in_channels=8,
                hid_channels=16,
                out_channels=8,
                num_layers=2,
                with_bias=True,
                with_last_bn=False,
                with_avg_pool=False,
            ),
            loss=dict(type='CosineSimilarityLoss'),
        ),
        **kwargs,
    )


def simsiam_cfg(type_, **kwargs):
    return dict(
        type=type_,
        backbone=BACKBONE,
        neck=dict(
            type='NonLinearNeck',
            in_channels=8,
            hid_channels=16,
            out_channels=8,
            num_layers=3,
            with_last_bn_affine=False,
            with_avg_pool=True,
        ),
        head=dict(
            type='LatentPredictHead',
            loss=dict(type='CosineSimilarityLoss'),
            predictor=dict(
                type='NonLinearNeck',
                in_channels=8,
                hid_channels=4,
                out_channels=8,
                with_avg_pool=False,
                with_last_bn=False,
                with_last_bias=True,
            ),
        ),
        **kwargs,
    )


def build_pair(cfg_fn, ours_type, ref_type, feat_aug):
    torch.manual_seed(0)
    ours = MODELS.build(cfg_fn(ours_type, feat_aug=feat_aug)).train()
    torch.manual_seed(1)
    ref = MODELS.build(cfg_fn(ref_type)).train()
    ref.load_state_dict(ours.state_dict())
    return ours, ref


@pytest.mark.parametrize(
    'cfg_fn, ours_type, ref_type, ours_cls, ref_cls',
    [
        (byol_cfg, 'BYOLFeatAug', 'mmpretrain.BYOL', BYOLFeatAug, BYOL),
        (simsiam_cfg, 'SimSiamFeatAug', 'mmpretrain.SimSiam', SimSiamFeatAug, SimSiam),
    ],
    ids=['byol', 'simsiam'],
)
def test_similarity_feataug_zero_weight_is_base(cfg_fn, ours_type, ref_type, ours_cls, ref_cls, hub_max_iters):
    ours, ref = build_pair(
        cfg_fn, ours_type, ref_type, dict(augmenters=dict(type='GaussianNoise', std=0.5), loss_weight=0)
    )
    assert isinstance(ours, ours_cls) and type(ref) is ref_cls
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, total = step(ours, inputs, seed=90 + it)
        _, ref_total = step(ref, inputs, seed=90 + it)
        assert set(losses) == {'loss_base'}
        assert torch.equal(total, ref_total)
        assert_same_grads(ours, ref, exact=True)
    ref_state = ref.state_dict()
    for name, value in ours.state_dict().items():
        assert torch.equal(value, ref_state[name]), name


@pytest.mark.parametrize(
    'cfg_fn, ours_type', [(byol_cfg, 'BYOLFeatAug'), (simsiam_cfg, 'SimSiamFeatAug')], ids=['byol', 'simsiam']
)
def test_similarity_feataug_identity_augmenter(cfg_fn, ours_type, hub_max_iters):
    torch.manual_seed(0)
    feat_aug = dict(augmenters=dict(type='GaussianNoise', std=0.0, on=('anchor', 'target')), loss_weight=1.0)
    model = MODELS.build(cfg_fn(ours_type, feat_aug=feat_aug)).train()
    losses, _ = step(model, images(16, 16))
    assert set(losses) == {'loss_base', 'loss_aug'}
    torch.testing.assert_close(losses['loss_aug'], losses['loss_base'], rtol=1e-6, atol=1e-7)


def byol_aug_grads(on):
    torch.manual_seed(0)
    feat_aug = dict(augmenters=dict(type='GaussianNoise', std=0.1, on=on), loss_weight=1.0, detach_input=True)
    model = MODELS.build(byol_cfg('BYOLFeatAug', feat_aug=feat_aug)).train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    losses = model.loss(images(16, 16), None)
    assert set(losses) == {'loss_base', 'loss_aug'}
    losses['loss_aug'].backward()

    def has_grad(prefix):
        return any(p.grad is not None and p.grad.any() for n, p in model.named_parameters() if n.startswith(prefix))

    return has_grad


def test_byol_feataug_detach_input_on_anchor_blocks_backbone(hub_max_iters):
    has_grad = byol_aug_grads(('anchor',))
    assert not has_grad('backbone.')
    assert not has_grad('neck.')
    assert has_grad('head.predictor.')


def test_byol_feataug_detach_input_on_target_keeps_backbone_gradient(hub_max_iters):
    has_grad = byol_aug_grads(('target',))
    assert has_grad('backbone.')
    assert has_grad('head.predictor.')


def test_clsa_config_citing_the_paper_uses_per_crop_passes():
    """The ImageNet CLSA-Multi config cites the official 73.3: it runs each crop alone, as the official code."""
    from mmengine.config import Config

    root = __file__.rsplit('/tests/', 1)[0]
    cfg = Config.fromfile(f'{root}/configs/clsa/clsa_resnet50_8xb32-multi-coslr-200e_in1k.py')
    assert cfg.model.group_views is False and (cfg.model.num_weak, cfg.model.num_strong) == (5, 5)


@pytest.mark.parametrize(
    'type_, kwargs, views',
    [
        ('CLSA', dict(num_strong=1), (16, 16, 8)),
        ('MoCHi', dict(mixer=mixer()), (16, 16)),
        ('MoCoV2FeatAug', dict(feat_aug=dict(augmenters=FT, detach_input=False)), (16, 16)),
    ],
)
def test_family_steps_from_an_empty_filled_queue(type_, kwargs, views):
    model = build(type_, only_filled_queue=True, **kwargs)
    for it in range(2):  # the first step has no negatives at all, the second B
        losses, total = step(model, images(*views, seed=300 + it))
        assert torch.isfinite(total) and all(torch.isfinite(v) for v in losses.values())
    assert model.negatives().shape[0] == 2 * B
