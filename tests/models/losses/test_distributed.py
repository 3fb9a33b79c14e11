"""2 CPU processes (gloo) give the loss and gradients of one process holding the concatenated batch."""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from mmssl_ext.models.losses import (
    DCLLoss,
    EpsSupInfoNCELoss,
    FNCLoss,
    NTXentLoss,
    QueueInfoNCELoss,
    ReLICLoss,
    RenyiContrastiveLoss,
    SCELoss,
    SupConLoss,
    UniConLoss,
)
from tests.helpers import spawn_ranks

pytestmark = pytest.mark.dist

WORLD = 2
B = 6  # global batch, 3 per rank


def _feats(seed, batch=B, views=2, dim=8):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(batch, views, dim, generator=g, dtype=torch.float64), dim=-1)


def _labels(seed, batch=B, classes=3):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(classes, (batch,), generator=g)


def _cases():
    """name -> (loss module, tuple of full-batch inputs, indices of inputs split over ranks, grad input)."""
    queue = F.normalize(torch.randn(5, 8, generator=torch.Generator().manual_seed(9), dtype=torch.float64), dim=-1)
    dup = _feats(7, views=3)
    dup[1] = dup[4]  # a cross-rank duplicate that FNC must detect
    return {
        'ntxent': (NTXentLoss(0.2, gather_distributed=True), (_feats(1),), (0,)),
        'ntxent_chunked': (NTXentLoss(0.2, gather_distributed=True, chunk_size=4), (_feats(1, views=3),), (0,)),
        'moco_in_batch': (
            QueueInfoNCELoss(0.2, in_batch_negatives=True, gather_distributed=True),
            (_feats(2), queue),
            (0,),
        ),
        'supcon': (SupConLoss(0.1, 0.07, gather_distributed=True), (_feats(3), _labels(3)), (0, 1)),
        'supcon_one_positive': (
            SupConLoss(0.1, 0.1, denominator_mode='one_positive', gather_distributed=True, chunk_size=2),
            (_feats(4), _labels(4)),
            (0, 1),
        ),
        'dcl': (DCLLoss(0.2, gather_distributed=True), (_feats(5),), (0,)),
        'dclw': (DCLLoss(0.2, weight_fn='vmf', gather_distributed=True), (_feats(5),), (0,)),
        'eps_supinfonce': (
            EpsSupInfoNCELoss(0.1, 0.1, epsilon=0.5, gather_distributed=True),
            (_feats(6), _labels(6)),
            (0, 1),
        ),
        'unicon': (UniConLoss(0.1, gather_distributed=True), (_feats(8), _feats(18), _labels(8)), (0, 1, 2)),
        'fnc': (FNCLoss(0.1, topk=3, threshold=0.9, gather_distributed=True), (dup,), (0,)),
        'fnc_eliminate': (
            FNCLoss(0.1, mode='eliminate', topk=3, threshold=0.9, gather_distributed=True),
            (dup,),
            (0,),
        ),
        'renyi': (
            RenyiContrastiveLoss(0.5, alpha=0.1, gather_distributed=True),
            (_feats(10, views=3), _feats(11)),
            (0, 1),
        ),
        'sce_use_keys': (
            SCELoss(0.1, 0.07, use_keys=True, gather_distributed=True),
            (_feats(12), queue),
            (0,),
        ),
        'relic': (ReLICLoss(0.1, alpha=0.5, gather_distributed=True), (_feats(13, views=3), _feats(14)), (0, 1)),
    }


def _run(loss, inputs):
    x = inputs[0].clone().requires_grad_(True)
    value = loss(x, *inputs[1:])
    value.backward()
    return value.detach(), x.grad


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    results = {}
    per = B // WORLD
    for name, (loss, inputs, split) in _cases().items():
        local = tuple(t[rank * per : (rank + 1) * per] if i in split else t for i, t in enumerate(inputs))
        x = local[0].clone().requires_grad_(True)
        value = loss(x, *local[1:])
        # what DDP does: every rank backpropagates its loss, gradients are averaged over ranks
        (value / WORLD).backward()
        mean = value.detach().clone()
        dist.all_reduce(mean)
        results[name] = (mean / WORLD, x.grad)
    torch.save(results, os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def distributed_results(tmp_path_factory):
    return spawn_ranks(_worker, tmp_path_factory.mktemp('dist_losses'), WORLD)


@pytest.mark.parametrize('name', sorted(_cases()))
def test_two_ranks_match_one_process(distributed_results, name):
    loss, inputs, _ = _cases()[name]
    value, grad = _run(loss, inputs)
    per = B // WORLD
    for rank, results in enumerate(distributed_results):
        d_value, d_grad = results[name]
        torch.testing.assert_close(d_value, value, rtol=1e-5, atol=1e-8)
        torch.testing.assert_close(d_grad, grad[rank * per : (rank + 1) * per], rtol=1e-5, atol=1e-8)
    assert grad.abs().sum() > 0


def test_fnc_detects_the_cross_rank_duplicate():
    from mmssl_ext.models.losses import detect_false_negatives
    from mmssl_ext.models.losses.utils import flatten_views

    feats = _cases()['fnc'][1][0]
    fn = detect_false_negatives(feats, flatten_views(feats), 0, B, topk=3, threshold=0.9)
    cols = {int(c) % B for c in fn[1] if c >= 0}
    assert 4 in cols
