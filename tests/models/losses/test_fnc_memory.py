"""FNC's memory-bank form: a per-anchor reference loop, the in-batch form as its special case, gradients, errors."""

import math

import pytest
import torch

from mmssl_ext.models.losses import FNCLoss
from mmssl_ext.models.losses.fnc_memory import fnc_memory_loss
from tests.models.losses.supcon_family_helpers import DT, duplicated_feats, rand_feats, view_major


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def view_major_columns(batch, views, offset=0, global_batch=None):
    """Bank columns of the current batch at the bank's front, view-major over the global batch."""
    global_batch = global_batch or batch
    return torch.stack([v * global_batch + offset + torch.arange(batch) for v in range(views)], dim=1)


def ref_memory_loop(anchors, ema, memory, own, tau, topk, threshold, mode):
    """The official formula written per (sample, anchor view) with Python sets."""
    b, v, _ = anchors.shape
    n = memory.shape[0]
    total = 0.0
    for a in range(v):
        per_sample = []
        for i in range(b):
            own_set = set(own[i].tolist())
            scores = [max(float(ema[i, w] @ memory[c]) for w in range(v)) for c in range(n)]
            ranked = sorted((c for c in range(n) if c not in own_set), key=lambda c: -scores[c])[: min(topk, n)]
            fns = [c for c in ranked if scores[c] > threshold]
            s = [float(anchors[i, a] @ memory[c]) / tau for c in range(n)]
            self_col = int(own[i, a])
            positives = [c for c in own_set if c != self_col]
            excluded = {self_col} | (set(fns) if mode == 'eliminate' else set())
            lse = math.log(sum(math.exp(s[c]) for c in range(n) if c not in excluded))
            if mode == 'attract':
                numerator = (sum(s[c] for c in positives) + sum(s[c] for c in fns)) / (v - 1 + len(fns))
            else:
                numerator = sum(s[c] for c in positives) / (v - 1)
            per_sample.append(lse - numerator)
        total += sum(per_sample) / b
    return total * 2 / v


def _bank(anchors, extra, zeros, seed=5):
    """Current batch's (here: the anchors') features at the front, then older entries, then unwritten zeros."""
    g = torch.Generator().manual_seed(seed)
    old = torch.nn.functional.normalize(torch.randn(extra, anchors.shape[-1], generator=g, dtype=DT), dim=1)
    old[0] = anchors[2, 0] + 0.01  # a near copy of sample 2 in the older part: a detectable false negative
    old[0] = old[0] / old[0].norm()
    return torch.cat([view_major(anchors), old, torch.zeros(zeros, anchors.shape[-1], dtype=DT)])


@pytest.mark.parametrize('mode', ['attract', 'eliminate'])
def test_memory_loss_equals_the_reference_loop(mode):
    anchors = rand_feats(5, 3, 8, seed=1)
    ema = rand_feats(5, 3, 8, seed=2)
    ema = torch.nn.functional.normalize(anchors + 0.3 * ema, dim=-1)  # EMA twins close to the online features
    memory = _bank(ema, extra=7, zeros=4)
    own = view_major_columns(5, 3)
    loss = fnc_memory_loss(anchors, ema, memory, own, 0.2, topk=3, threshold=0.5, mode=mode)
    ref = ref_memory_loop(anchors, ema, memory, own, 0.2, 3, 0.5, mode)
    assert loss.item() == pytest.approx(ref, rel=1e-10)


def test_detection_happens_and_attraction_changes_the_loss():
    anchors = duplicated_feats(b=6, v=2, d=16)
    memory, own = view_major(anchors), view_major_columns(6, 2)
    none = fnc_memory_loss(anchors, anchors, memory, own, 0.1, topk=10, threshold=1.5)  # nothing detected
    attract = fnc_memory_loss(anchors, anchors, memory, own, 0.1, topk=10, threshold=0.7)
    eliminate = fnc_memory_loss(anchors, anchors, memory, own, 0.1, topk=10, threshold=0.7, mode='eliminate')
    assert attract < none - 1e-3 and eliminate < none - 1e-3  # the duplicate stops being a negative


@pytest.mark.parametrize('mode', ['attract', 'eliminate'])
@pytest.mark.parametrize('threshold', [0.7, 1.5])
def test_bank_of_the_batch_itself_is_the_in_batch_form(mode, threshold):
    # EMA = online and a bank holding exactly the current batch: the official in-batch FNC (FNCLoss without memory)
    anchors = duplicated_feats(b=6, v=3, d=16, seed=4)
    loss = FNCLoss(temperature=0.1, mode=mode, topk=10, threshold=threshold)
    in_batch = loss(anchors)
    own = view_major_columns(6, 3)
    with_memory = loss(anchors, memory=view_major(anchors), memory_features=anchors, own_columns=own)
    torch.testing.assert_close(with_memory, in_batch, rtol=1e-10, atol=1e-12)


def test_rank_columns_follow_the_global_batch():
    # a rank holding samples 3..5 of a global batch of 6 finds its own views at v * 6 + 3 + i
    anchors = rand_feats(6, 2, 8, seed=7)
    memory = view_major(anchors)
    full = fnc_memory_loss(anchors, anchors, memory, view_major_columns(6, 2), 0.1, topk=10, threshold=0.9)
    halves = [
        fnc_memory_loss(anchors[s], anchors[s], memory, view_major_columns(3, 2, offset, 6), 0.1, 10, 0.9)
        for s, offset in ((slice(0, 3), 0), (slice(3, 6), 3))
    ]
    torch.testing.assert_close((halves[0] + halves[1]) / 2, full, rtol=1e-10, atol=1e-12)


def test_gradient_reaches_the_anchors_only():
    anchors = rand_feats(4, 2, 8, seed=8).requires_grad_()
    ema = rand_feats(4, 2, 8, seed=9).requires_grad_()
    memory = view_major(ema.detach()).requires_grad_()
    fnc_memory_loss(anchors, ema, memory, view_major_columns(4, 2), 0.1).backward()
    assert anchors.grad is not None and anchors.grad.abs().sum() > 0
    assert ema.grad is None and memory.grad is None


def test_memory_form_needs_its_companions():
    anchors = rand_feats(4, 2, 8)
    with pytest.raises(ValueError, match='memory_features'):
        FNCLoss()(anchors, memory=view_major(anchors))
    with pytest.raises(ValueError, match='own_columns'):
        FNCLoss()(anchors, memory=view_major(anchors), memory_features=anchors, own_columns=torch.zeros(4, 3).long())
