"""SimCLR family on 2 CPU processes (gloo): ``keep`` masks of the gathered losses and the global,
rank-identical decisions of CuratedSimCLR.

Gradient bookkeeping (``kept_mean``): rank ``r`` returns ``L_r = W * S_r / G`` (``S_r`` the sum of its kept
anchor rows, ``G`` the kept rows of every rank), so ``mean_r L_r = sum_r S_r / G = L`` (the one-process loss
on the global batch). ``all_gather_with_grad`` all-reduces the gradient of the gathered features in
backward, so rank ``r``'s gradient of its local slice is ``d(sum_r' L_r')/dz_r = W * dL/dz_r``: divided by
``W`` it is the one-process gradient of that slice. (DDP averages the parameter gradients over ranks,
``(1/W) sum_r W dL/dz_r dz_r/dtheta = dL/dtheta``: the global mean's gradient.)
"""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from tests.helpers import spawn_ranks

pytestmark = pytest.mark.dist

WORLD = 2
B = 8  # global batch, 4 per rank
D = 5
KEEP = torch.tensor([True, False, True, True, True, True, False, True])  # rank 0 drops 1, rank 1 drops 6
TAU = 0.2
CURATED_B = 6  # per rank
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
NECK = dict(
    type='NonLinearNeck',
    in_channels=8,
    hid_channels=16,
    out_channels=8,
    num_layers=2,
    with_avg_pool=True,
    norm_cfg=dict(type='BN1d'),  # SyncBN (the default) needs a GPU under a process group
)


def _losses():
    from mmssl_ext.models.losses import DCLLoss, NTXentLoss

    return {
        'infonce': NTXentLoss(temperature=TAU, gather_distributed=True),
        'dclw': DCLLoss(temperature=TAU, weight_fn='vmf', gather_distributed=True),
    }


def _features():
    g = torch.Generator().manual_seed(3)
    return F.normalize(torch.randn(B, 2, D, generator=g, dtype=torch.float64), dim=-1)


def _curated_model(**curator):
    import mmssl_ext.models  # noqa: F401  (registers the algorithms in spawned workers)
    from mmssl_ext.registry import MODELS

    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='CuratedSimCLR',
            backbone=BACKBONE,
            neck=NECK,
            loss=dict(type='NTXentLoss', temperature=TAU, gather_distributed=True),
            curator=dict(type='BatchCurator', **(curator or dict(keep_fraction=0.5))),
        )
    ).train()


def _gated_ddp_step(rank, frd_threshold):
    """One ``MultiStepDistributedDataParallel`` step of CuratedSimCLR with SkipStepOptimWrapper (momentum, decay)."""
    from mmpretrain.structures import DataSample

    from mmssl_ext.engine.optim_wrappers import SkipStepOptimWrapper
    from mmssl_ext.models import MultiStepDistributedDataParallel

    model = _curated_model(frd_threshold=frd_threshold)
    ddp = MultiStepDistributedDataParallel(module=model)
    wrapper = SkipStepOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1))
    before = [p.detach().clone() for p in model.parameters()]
    logs = ddp.train_step(dict(inputs=_images(rank), data_samples=[DataSample() for _ in range(CURATED_B)]), wrapper)
    moved = [not torch.equal(a, p.detach()) for a, p in zip(before, model.parameters())]
    return dict(
        skipped=float(logs['skipped']),
        skipped_steps=wrapper.skipped_steps,
        moved=moved,
        weights=[p.detach().clone() for p in model.parameters()],
    )


def _images(rank):
    g = torch.Generator().manual_seed(10 + rank)
    return [torch.randn(CURATED_B, 3, 16, 16, generator=g) for _ in range(2)]


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    # a spawned process does not run tests/conftest.py: register the modules (default scope mmssl_ext) here
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    torch.set_num_threads(1)
    per = B // WORLD
    local = slice(rank * per, (rank + 1) * per)
    result = {}
    # (a) gathered losses with keep masks
    for name, loss_fn in _losses().items():
        features = _features()[local].clone().requires_grad_()
        loss = loss_fn(features, keep=KEEP[local])
        loss.backward()
        result[name] = dict(loss=loss.detach(), grad=features.grad.clone())
    # (b) CuratedSimCLR: same weights, different images on each rank
    model = _curated_model()
    record = {}
    select_pairs = model.curator.select_pairs
    broadcast_decision = model._broadcast_decision
    loss_forward = model.loss_module.forward
    embed = model.embed

    def spy_select(z1, z2, active=True):
        selection = select_pairs(z1, z2, active=active)
        record.update(select_z1=z1.clone(), select_z2=z2.clone(), select_keep=selection.keep.clone())
        return selection

    def spy_broadcast(keep, skip):
        keep_all, skip_all = broadcast_decision(keep, skip)
        record.update(keep_all=keep_all.clone(), skip=skip_all)
        return keep_all, skip_all

    def spy_loss(features, keep=None, exclude=None):
        record.update(loss_keep=None if keep is None else keep.clone())
        return loss_forward(features, keep=keep, exclude=exclude)

    def spy_embed(inputs):
        features = embed(inputs)
        record.update(local_features=features.detach().clone())
        return features

    model.curator.select_pairs = spy_select
    model._broadcast_decision = spy_broadcast
    model.loss_module.forward = spy_loss
    model.embed = spy_embed
    losses = model.loss(_images(rank), [])
    losses['loss'].backward()
    record.update(
        kept_frac=float(losses['kept_frac']),
        loss=float(losses['loss']),
        grad_finite=all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None),
    )
    result['curated'] = record
    # (c) the gate's decision reaches the optimizer wrapper through the DDP wrapper
    result['gated'] = _gated_ddp_step(rank, frd_threshold=1e-9)
    result['ungated'] = _gated_ddp_step(rank, frd_threshold=None)
    torch.save(result, os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    return spawn_ranks(_worker, tmp_path_factory.mktemp('dist_simclr'), WORLD)


# ----------------------------------------------------------------------------- (a) gathered losses with keep


@pytest.mark.parametrize('name', ['infonce', 'dclw'])
def test_rank_mean_of_kept_losses_equals_one_process_on_the_full_batch(results, name):
    loss_fn = _losses()[name]  # no process group here: one process, gather is a no-op
    full = loss_fn(_features(), keep=KEEP)
    mean = sum(res[name]['loss'] for res in results) / WORLD
    torch.testing.assert_close(mean, full.detach(), rtol=1e-5, atol=0)
    # the per-rank losses differ (different kept rows): the mean is not trivially each rank's value
    assert not torch.allclose(results[0][name]['loss'], results[1][name]['loss'])


@pytest.mark.parametrize('name', ['infonce', 'dclw'])
def test_local_gradient_over_world_size_equals_one_process_gradient(results, name):
    features = _features().requires_grad_()
    _losses()[name](features, keep=KEEP).backward()
    per = B // WORLD
    for rank, res in enumerate(results):
        expected = features.grad[rank * per : (rank + 1) * per]
        torch.testing.assert_close(res[name]['grad'] / WORLD, expected, rtol=1e-5, atol=1e-10)
        dropped = ~KEEP[rank * per : (rank + 1) * per]
        assert torch.equal(res[name]['grad'][dropped], torch.zeros_like(res[name]['grad'][dropped]))
        assert bool((res[name]['grad'][~dropped].abs().sum(-1) > 0).all())


# ----------------------------------------------------------------------------- (b) CuratedSimCLR decisions


def test_curated_keep_masks_are_identical_on_both_ranks(results):
    r0, r1 = results[0]['curated'], results[1]['curated']
    assert r0['keep_all'].shape == (WORLD * CURATED_B,)
    assert torch.equal(r0['keep_all'], r1['keep_all'])
    assert torch.equal(r0['select_keep'], r1['select_keep'])
    assert r0['kept_frac'] == r1['kept_frac'] == 0.5
    assert not r0['skip'] and not r1['skip']
    assert r0['grad_finite'] and r1['grad_finite']


def test_curated_decision_is_taken_on_the_gathered_batch(results):
    from mmssl_ext.models.curation import BatchCurator

    r0, r1 = results[0]['curated'], results[1]['curated']
    # each rank embedded its own images; the curator saw both ranks' pairs, in rank order
    assert not torch.allclose(r0['local_features'], r1['local_features'])
    gathered = torch.cat([r0['local_features'], r1['local_features']])
    for rec in (r0, r1):
        torch.testing.assert_close(rec['select_z1'], gathered[:, 0], rtol=0, atol=0)
        torch.testing.assert_close(rec['select_z2'], gathered[:, 1], rtol=0, atol=0)
    expected = BatchCurator(keep_fraction=0.5).select_pairs(gathered[:, 0], gathered[:, 1]).keep
    assert torch.equal(r0['keep_all'], expected)
    assert int(expected.sum()) == CURATED_B  # the top half of the global batch
    # each rank passes its own slice of the global mask to the loss
    for rank, res in enumerate(results):
        local = expected[rank * CURATED_B : (rank + 1) * CURATED_B]
        assert torch.equal(res['curated']['loss_keep'], local)


# ----------------------------------------------------------------------------- (c) the gated step under DDP


def test_a_gated_ddp_step_leaves_the_weights_on_every_rank(results):
    for res in results:
        gated, ungated = res['gated'], res['ungated']
        assert gated['skipped'] == 1.0 and gated['skipped_steps'] == 1 and not any(gated['moved'])
        assert ungated['skipped'] == 0.0 and ungated['skipped_steps'] == 0 and all(ungated['moved'])
    for a, b in zip(results[0]['ungated']['weights'], results[1]['ungated']['weights']):
        torch.testing.assert_close(a, b)  # DDP averaged the gradients: the ranks stay equal
