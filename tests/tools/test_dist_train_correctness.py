"""Distributed correctness through ``tools/dist_train.sh`` (2 CPU processes, gloo), checked against one process.

* SimCLR and SupCon (negatives gathered with gradients, ``sync_bn='torch'``): the mean of the two ranks' losses
  and the DDP-averaged gradients of the first step equal one process on the concatenated batch (rtol 1e-5; both
  in float64, so the figure measures the algorithm, not float32 rounding, which alone is ~5e-6 here); BN layers
  run as ``CPUSyncBatchNorm`` (torch's SyncBN refuses CPU tensors).
* FNC (10 views, an EMA-filled memory bank): the same equality; the banks of both ranks equal the one process's.
* SCE (a queue, a momentum target with a predictor on the online side, symmetric): the same equality, the
  queues identical on both ranks after the step.
* MoCo v2: keys all-gathered before enqueue: after every step the queue and its pointer are identical on both
  ranks and the pointer advanced by the global batch (wrapping around); shuffle-BN permutes the global batch
  identically on both ranks, mixes samples of the two ranks and is undone exactly.
* ``--auto-scale-lr`` scales the learning rate by the global batch (2 ranks x batch) over ``base_batch_size``.

Select with ``-m dist``; they run in the default suite.
"""

import pytest
import torch
from mmengine.registry import DefaultScope

from tests.helpers import run_dist_train, smoke_cfg

pytestmark = pytest.mark.dist
WORLD = 2


def _launch(cfg, out_dir, *train_args):
    """Run ``cfg`` through tools/dist_train.sh on 2 CPU processes with the probes; the ranks' records."""
    cfg.custom_imports = dict(imports=['tests.helpers.dist_probe'], allow_failed_imports=False)
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(type='DistProbeHook', out_dir=str(out_dir))]
    cfg_file = str(out_dir / 'config.py')
    cfg.dump(cfg_file)
    run_dist_train(cfg_file, WORLD, *train_args)
    return cfg, [torch.load(out_dir / f'rank{r}.pt', weights_only=False) for r in range(WORLD)]


def _contrastive_run(config, out_dir):
    cfg = smoke_cfg(config, out_dir / 'work', iters=2, batch_size=8, knn=False)  # 16 images: 1 step of 2 x 8
    cfg.optim_wrapper = dict(type='GradProbeOptimWrapper', optimizer=dict(type='SGD', lr=0.1))
    cfg.param_scheduler = None
    cfg.sync_bn = 'torch'
    cfg.model_wrapper_cfg = dict(type='Float64DistributedDataParallel')
    return _launch(cfg, out_dir)


@pytest.fixture(scope='module')
def simclr(tmp_path_factory):
    return _contrastive_run('simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py', tmp_path_factory.mktemp('d'))


@pytest.fixture(scope='module')
def supcon(tmp_path_factory):
    return _contrastive_run('supcon/supcon_resnet18_1xb1024-coslr-1000e_cifar10.py', tmp_path_factory.mktemp('d'))


@pytest.fixture(scope='module')
def sce(tmp_path_factory):
    return _contrastive_run('sce/sce_resnet18_1xb256-coslr-1000e_cifar10.py', tmp_path_factory.mktemp('d'))


@pytest.fixture(scope='module')
def fnc(tmp_path_factory):
    return _contrastive_run('fnc/fnc_resnet18_1xb256-lars-coslr-1000e_cifar10.py', tmp_path_factory.mktemp('d'))


def _concat(a, b):
    """Two collated batches as one (rank 0's samples first, as the gathered negatives are ordered)."""
    if isinstance(a, torch.Tensor):
        return torch.cat([a, b])
    if isinstance(a, dict):
        return {k: _concat(a[k], b[k]) for k in a}
    if isinstance(a, list) and a and isinstance(a[0], torch.Tensor) and all(x.dim() == 4 for x in a):
        return [torch.cat([x, y]) for x, y in zip(a, b)]  # one stacked tensor per view
    return list(a) + list(b)


def _one_process(cfg, records):
    from mmssl_ext.registry import MODELS

    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:  # as the Runner does
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        model = MODELS.build(model_cfg)
    model.double().load_state_dict(records[0]['init_state'])
    model.train()
    data = model.data_preprocessor(_concat(records[0]['batch'], records[1]['batch']), True)
    inputs = [x.double() for x in data['inputs']]
    loss, _ = model.parse_losses(model(inputs, data['data_samples'], mode='loss'))
    loss.backward()
    return model, loss.detach()


@pytest.mark.parametrize('run', ['simclr', 'supcon', 'sce', 'fnc'])
def test_two_ranks_equal_one_process_on_the_concatenated_batch(run, request):
    cfg, records = request.getfixturevalue(run)
    r0, r1 = records
    assert r0['world_size'] == WORLD and 'CPUSyncBatchNorm' in r0['norm_types']
    assert 'BatchNorm2d' not in r0['norm_types'] and 'SyncBatchNorm' not in r0['norm_types']
    for key, value in r0['init_state'].items():  # DDP starts both ranks from rank 0's weights
        assert torch.equal(value, r1['init_state'][key]), key
    assert not torch.equal(r0['batch']['inputs'][0], r1['batch']['inputs'][0])  # different images per rank

    model, loss = _one_process(cfg, records)
    assert r0['losses'][0].dtype == torch.float64
    rank_mean = (r0['losses'][0] + r1['losses'][0]) / WORLD
    torch.testing.assert_close(rank_mean, loss, rtol=1e-5, atol=0)
    assert abs(float(r0['losses'][0] - r1['losses'][0])) > 1e-3  # the ranks' own losses differ

    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert set(r0['grads']) == set(grads) and len(grads) > 50
    worst = 0.0
    for name, grad in grads.items():
        torch.testing.assert_close(r0['grads'][name], r1['grads'][name], rtol=0, atol=0)  # averaged by DDP
        torch.testing.assert_close(r0['grads'][name], grad, rtol=1e-5, atol=1e-12)
        worst = max(worst, ((r0['grads'][name] - grad).abs().max() / grad.abs().max().clamp_min(1e-30)).item())
    if run == 'sce':  # the symmetric step enqueued both views' keys of both ranks, identically on each rank
        assert torch.equal(r0['queues'][0], r1['queues'][0]) and r0['ptrs'][0] == r1['ptrs'][0] == 0
    if run == 'fnc':  # the bank holds both ranks' EMA features, view-major, as the one process's bank
        assert torch.equal(r0['memory'], r1['memory'])
        torch.testing.assert_close(r0['memory'], model.memory, rtol=1e-5, atol=1e-12)
    print(f'{run}: loss 2 ranks {rank_mean.item():.12f} vs 1 process {loss.item():.12f}; max grad err {worst:.1e}')


@pytest.fixture(scope='module')
def moco(tmp_path_factory):
    out = tmp_path_factory.mktemp('d')
    cfg = smoke_cfg(
        'mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py', out / 'work', iters=6, batch_size=4, knn=False
    )
    assert cfg.model.queue_len == 16 and cfg.model.get('shuffle_bn', True)
    cfg.param_scheduler = None
    return _launch(cfg, out, '--auto-scale-lr')  # 24 images: 3 steps of 2 x 4 keys into a 16-slot queue


def test_moco_queue_and_pointer_are_identical_on_both_ranks_after_every_step(moco):
    cfg, (r0, r1) = moco
    assert len(r0['queues']) == len(r1['queues']) == 3
    global_batch = WORLD * cfg.train_dataloader.batch_size
    for step, (q0, q1) in enumerate(zip(r0['queues'], r1['queues'])):
        assert torch.equal(q0, q1), f'queues differ after step {step + 1}'
        assert r0['ptrs'][step] == r1['ptrs'][step] == (step + 1) * global_batch % cfg.model.queue_len
    # every step wrote the gathered keys (both ranks' 4 keys): 8 new columns per step, also across the wrap
    for step in range(1, 3):
        before, after = r0['queues'][step - 1], r0['queues'][step]
        changed = (before != after).any(0).nonzero().flatten().tolist()
        start = step * global_batch % cfg.model.queue_len
        assert changed == sorted((start + i) % cfg.model.queue_len for i in range(global_batch))


def test_moco_shuffle_bn_permutes_the_global_batch_and_is_undone(moco):
    _, (r0, r1) = moco
    assert len(r0['shuffles']) == len(r1['shuffles']) == 3
    mixed = False
    for s0, s1 in zip(r0['shuffles'], r1['shuffles']):
        assert torch.equal(s0['idx'], s1['idx'])  # rank 0's permutation, broadcast
        n = s0['local'].shape[0]
        assert sorted(s0['idx'].tolist()) == list(range(WORLD * n))
        gathered = torch.cat([s0['local'], s1['local']])
        shuffled = torch.cat([s0['shuffled'], s1['shuffled']])
        torch.testing.assert_close(shuffled[s0['idx']], gathered, rtol=0, atol=0)  # unshuffle restores the order
        idx_shuffle = torch.argsort(s0['idx'])
        mixed |= bool((idx_shuffle[:n] >= n).any())  # rank 0 normalised some of rank 1's images
    assert mixed


def test_auto_scale_lr_uses_the_global_batch(moco):
    cfg, (r0, r1) = moco
    base_lr = cfg.optim_wrapper.optimizer.lr
    expected = base_lr * WORLD * cfg.train_dataloader.batch_size / cfg.auto_scale_lr.base_batch_size
    assert r0['lr'] == r1['lr']
    assert r0['lr'][0] == pytest.approx(expected, rel=1e-9)
    per_rank = base_lr * cfg.train_dataloader.batch_size / cfg.auto_scale_lr.base_batch_size
    assert r0['lr'][0] != pytest.approx(per_rank)  # scaled by the global batch, not one rank's
