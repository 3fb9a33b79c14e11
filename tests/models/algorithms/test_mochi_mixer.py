"""MoCHiMixer: hard negatives, synthetic mixes, start epoch / iteration, determinism, errors, registry."""

import pytest
import torch

from mmssl_ext.models.algorithms import MoCHiMixer
from mmssl_ext.models.losses import QueueInfoNCELoss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import F64, close, gen, mochi_inputs, unit


def in_plane(h, a, b):
    """Coefficients (x, y) with h = x a + y b when h lies in span{a, b}, else None."""
    basis = torch.stack([a, b], 1)
    coef = torch.linalg.lstsq(basis, h[:, None]).solution[:, 0]
    return coef if (basis @ coef - h).abs().max() < 1e-8 else None


def test_mochi_off_is_exactly_moco():
    f, queue = mochi_inputs(seed=20)
    extra = MoCHiMixer(num_hard=5, num_mix=0, num_query_mix=0)(f[:, 0], queue)
    assert extra.shape == (4, 0, 8)
    loss = QueueInfoNCELoss(temperature=0.2)
    assert torch.equal(loss(f, queue, extra_negatives=extra), loss(f, queue))


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


_F = unit(6, 2, 4, g=gen(40))
_Q = unit(5, 4, g=gen(41))


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: MoCHiMixer(num_mix=-1), '`num_mix` must be >= 0', id='51:`num_mix` must be >= 0'),
        pytest.param(lambda: MoCHiMixer(num_hard=0), '`num_hard` must be >= 1', id='52:`num_hard` must be >= 1'),
        pytest.param(
            lambda: MoCHiMixer()(_F, _Q),
            r'query \[B, D\] and queue \[K, D\]',
            id='53:query \\[B, D\\] and queue \\[K, ',
        ),
        pytest.param(
            lambda: MoCHiMixer()(_F[:, 0], _Q[:, :3]),
            r'query \[B, D\] and queue \[K, D\]',
            id='54:query \\[B, D\\] and queue \\[K, ',
        ),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'cfg,cls',
    [pytest.param(dict(type='MoCHiMixer', num_hard=16, num_mix=8, num_query_mix=4), MoCHiMixer, id='cfg7-MoCHiMixer')],
)
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
