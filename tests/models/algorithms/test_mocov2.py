"""MoCoV2: equality with mmpretrain MoCo, shuffle-BN, the queue (ring buffer, symmetric, only filled, checkpoint)."""

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import MoCo

from mmssl_ext.models.algorithms import MoCoV2
from tests.models.algorithms.moco_helpers import (
    FEAT_DIM,
    FT,
    MOCO_HEAD,
    QUEUE_LEN,
    B,
    assert_same_grads,
    assert_same_queue,
    build,
    clone_into,
    feataug,
    hand_moco_ce,
    images,
    mixer,
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


@pytest.mark.parametrize(
    'type_, kwargs, views',
    [
        ('CLSA', dict(num_strong=1), (16, 16, 8)),
        ('MoCHi', dict(mixer=mixer()), (16, 16)),
        ('MoCoV2', dict(loss=feataug(dict(augmenters=FT, detach_input=False))), (16, 16)),
    ],
)
def test_family_steps_from_an_empty_filled_queue(type_, kwargs, views):
    model = build(type_, only_filled_queue=True, **kwargs)
    for it in range(2):  # the first step has no negatives at all, the second B
        losses, total = step(model, images(*views, seed=300 + it))
        assert torch.isfinite(total) and all(torch.isfinite(v) for v in losses.values())
    assert model.negatives().shape[0] == 2 * B
