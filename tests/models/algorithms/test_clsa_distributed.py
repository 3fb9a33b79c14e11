"""CLSA / MoCo v2 on 2 CPU processes (gloo): global-rank labels, gathered enqueue, identical queues."""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from tests.helpers import spawn_ranks

pytestmark = pytest.mark.dist

WORLD = 2
B = 6  # global batch, 3 per rank
D = 8
K = 16


def _model(seed=0):
    import mmssl_ext.models  # noqa: F401  (registers the algorithms in spawned workers)
    from mmssl_ext.registry import MODELS

    torch.manual_seed(seed)
    return MODELS.build(
        dict(
            type='CLSA',
            backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN')),
            neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=16, out_channels=D, with_avg_pool=True),
            queue_len=K,
            feat_dim=D,
            num_weak=2,
            num_strong=2,
        )
    )


def _embeddings():
    g = torch.Generator().manual_seed(3)
    weak = F.normalize(torch.randn(B, 2, D, generator=g), dim=-1)
    strong = F.normalize(torch.randn(B, 2, D, generator=g), dim=-1)
    key = F.normalize(torch.randn(B, D, generator=g), dim=-1)
    return weak, strong, key


def _images(rank):
    g = torch.Generator().manual_seed(10 + rank)
    return [torch.randn(B // WORLD, 3, s, s, generator=g) for s in (16, 16, 16, 12, 12)]


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    # a spawned process does not run tests/conftest.py: register the modules (default scope mmssl_ext) here
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    torch.set_num_threads(1)
    model = _model()
    per = B // WORLD
    local = slice(rank * per, (rank + 1) * per)
    weak, strong, key = _embeddings()
    negatives = model.negatives()
    losses = model.clsa_losses(weak[local], strong[local], key[local], negatives)
    model.enqueue(key[local])
    after_enqueue = (model.queue.clone(), int(model.queue_ptr))
    model.train()
    step = model.loss(_images(rank), [])  # a full step: shuffle-BN, gathered keys, enqueue
    result = dict(
        losses={k: v.detach() for k, v in losses.items()},
        negatives=negatives,
        after_enqueue=after_enqueue,
        after_step=(model.queue.clone(), int(model.queue_ptr)),
        step_finite=all(torch.isfinite(v).item() for v in step.values()),
    )
    torch.save(result, os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    return spawn_ranks(_worker, tmp_path_factory.mktemp('dist_clsa'), WORLD)


def test_contrastive_target_is_the_global_rank_index(results):
    weak, _, key = _embeddings()
    per = B // WORLD
    for rank, res in enumerate(results):
        candidates = torch.cat([key, res['negatives']])  # all keys of the global batch, then the queue
        expected = 0.0
        for v in range(2):
            logits = weak[rank * per : (rank + 1) * per, v] @ candidates.T / 0.2
            expected += F.cross_entropy(logits, torch.arange(per) + rank * per)
        torch.testing.assert_close(res['losses']['loss_contrast'], expected, rtol=1e-5, atol=1e-6)


def test_rank_mean_equals_one_process_on_the_full_batch(results):
    model = _model()
    weak, strong, key = _embeddings()
    full = model.clsa_losses(weak, strong, key, model.negatives())
    for name in ('loss_contrast', 'loss_ddm'):
        mean = sum(res['losses'][name] for res in results) / WORLD
        torch.testing.assert_close(mean, full[name].detach(), rtol=1e-5, atol=1e-6)


def test_enqueue_gathers_every_rank_in_rank_order(results):
    model = _model()
    _, _, key = _embeddings()
    model.enqueue(key)  # one process enqueueing the whole global batch
    for res in results:
        queue, ptr = res['after_enqueue']
        assert ptr == B % K
        torch.testing.assert_close(queue, model.queue, rtol=0, atol=0)


def test_queues_identical_across_ranks_after_a_full_step(results):
    (q0, p0), (q1, p1) = results[0]['after_step'], results[1]['after_step']
    assert p0 == p1 == (2 * B) % K
    assert torch.equal(q0, q1)
    assert results[0]['step_finite'] and results[1]['step_finite']
