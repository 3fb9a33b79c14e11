"""APS: loss values (methods.md 2.6), the symmetric head against mmpretrain's MoCoV3Head, the epoch-wise
warm-up + cosine factor, one optimiser step per token chunk, and 2-iteration tools/train.py runs on digits."""

import glob
import json
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from conftest import smoke_cfg
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmssl_ext.engine import WarmupCosineLambdaLR, warmup_cosine_factor
from mmssl_ext.models import APS, APSHead, APSLoss, token_chunks
from mmssl_ext.registry import MODELS, PARAM_SCHEDULERS

TINY_VIT = dict(
    type='APSViT',
    arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
    img_size=16,
    patch_size=4,
    qkv_bias=False,
    out_type='cls_token',
    cls_pos_embed=False,
)


def _mlp(in_channels, out_channels=16):
    return dict(
        type='NonLinearNeck',
        in_channels=in_channels,
        hid_channels=32,
        out_channels=out_channels,
        num_layers=3,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_avg_pool=False,
        norm_cfg=dict(type='BN1d'),
    )


def _tiny_aps() -> APS:
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='APS',
            backbone=TINY_VIT,
            neck=_mlp(32),
            head=dict(type='APSHead', predictor=_mlp(16), loss=dict(type='APSLoss', temperature=0.1)),
            data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3),
        )
    )


def _batch(batch=4, chunks=4, n=4, grid=4, seed=0):
    """Two views and ``[chunks, n]`` token ids per sample (view 1's chunks tile the grid)."""
    gen = torch.Generator().manual_seed(seed)
    views = [torch.randint(0, 256, (batch, 3, 16, 16), generator=gen, dtype=torch.uint8) for _ in range(2)]
    samples = []
    for _ in range(batch):
        s = DataSample()
        s.set_field(torch.randperm(grid * grid, generator=gen)[: chunks * n].reshape(chunks, n).numpy(), 'idx_view1')
        s.set_field(torch.stack([torch.randperm(grid * grid, generator=gen)[:n] for _ in range(chunks)]), 'idx_view2')
        samples.append(s)
    return dict(inputs=views, data_samples=samples)


# ----------------------------------------------------------------------------------------------- loss
def test_loss_values_from_methods_md():
    loss = APSLoss(temperature=0.1)
    eye = torch.eye(2, dtype=torch.float64)  # float32 rounds log(1 + e^-10) at the 4th digit
    same = loss(eye, eye) + loss(eye, eye)
    assert same.item() == pytest.approx(2 * math.log(1 + math.exp(-10)), rel=1e-4)
    assert same.item() == pytest.approx(9.0798e-5, rel=1e-3)
    opposite = loss(-eye, eye) + loss(-eye, eye)
    assert opposite.item() == pytest.approx(20.000091, abs=1e-5)


def test_loss_sends_no_gradient_to_the_target():
    pred = torch.randn(6, 8, requires_grad=True)
    target = torch.randn(6, 8, requires_grad=True)
    APSLoss()(pred, target).backward()
    assert target.grad is None
    assert pred.grad is not None and pred.grad.abs().sum() > 0


def test_loss_equals_hand_written_cross_entropy():
    torch.manual_seed(1)
    p, z = torch.randn(5, 7, dtype=torch.float64), torch.randn(5, 7, dtype=torch.float64)
    pn, zn = p / p.norm(dim=1, keepdim=True), z / z.norm(dim=1, keepdim=True)
    logits = pn @ zn.T / 0.2
    expected = -(torch.diag(logits) - torch.logsumexp(logits, dim=1)).mean()
    assert torch.allclose(APSLoss(temperature=0.2)(p, z), expected, rtol=1e-12)


def test_loss_rejects_bad_shapes_and_temperature():
    with pytest.raises(ValueError, match='pred'):
        APSLoss()(torch.randn(4, 8), torch.randn(3, 8))
    with pytest.raises(ValueError, match='temperature'):
        APSLoss(temperature=0.0)


def test_head_equals_mmpretrain_mocov3_head_summed_over_directions():
    torch.manual_seed(0)
    ours = APSHead(predictor=_mlp(16), loss=dict(type='APSLoss', temperature=0.1))
    theirs = MODELS.build(
        dict(
            type='MoCoV3Head',
            predictor=_mlp(16),
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            temperature=0.1,
        )
    )
    theirs.predictor.load_state_dict(ours.predictor.state_dict())
    z1, z2 = torch.randn(8, 16), torch.randn(8, 16)
    expected = theirs.loss(z1, z2.detach()) + theirs.loss(z2, z1.detach())
    assert torch.allclose(ours.loss(z1, z2), expected, rtol=1e-5, atol=1e-6)


def test_head_gradient_reaches_each_view_only_through_its_prediction():
    torch.manual_seed(0)
    head = APSHead(predictor=_mlp(16))
    z1, z2 = torch.randn(8, 16, requires_grad=True), torch.randn(8, 16, requires_grad=True)
    head.loss(z1, z2).backward()
    g1 = z1.grad.clone()
    z1.grad = None
    # the same gradient as the direction in which z1 is predicted (its target role is stop-gradient)
    head.loss_module(head.predict_from(z1), z2).backward()
    assert torch.allclose(z1.grad, g1, atol=1e-6)


# ----------------------------------------------------------------------------------------------- schedule
def test_warmup_cosine_factor_matches_the_official_lambda():
    for e in (0, 1, 10, 19, 20, 100, 800, 1599):
        expected = min((e + 1) / 20, 0.5 * (1 + math.cos(math.pi * e / 1600)))
        assert warmup_cosine_factor(e, 20, 1600) == pytest.approx(expected, abs=1e-12)
    assert warmup_cosine_factor(0, 20, 1600) == pytest.approx(0.05)
    assert warmup_cosine_factor(800, 20, 1600) == pytest.approx(0.5)


def test_scheduler_sets_the_lr_of_each_epoch():
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=2e-3)
    sched = PARAM_SCHEDULERS.build(
        dict(type='WarmupCosineLambdaLR', warmup=5, total=30, by_epoch=True, begin=0, end=30),
        default_args=dict(optimizer=optimizer),
    )
    assert isinstance(sched, WarmupCosineLambdaLR)
    seen = []
    for _ in range(30):
        seen.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        sched.step()
    expected = [2e-3 * min((e + 1) / 5, 0.5 * (1 + math.cos(math.pi * e / 30))) for e in range(30)]
    assert np.allclose(seen, expected, rtol=1e-9)
    with pytest.raises(ValueError, match='total'):
        WarmupCosineLambdaLR(optimizer, warmup=5)


# ----------------------------------------------------------------------------------------------- algorithm
def test_token_chunks_stacks_and_checks():
    data = _batch(batch=3, chunks=2, n=4)
    ids = token_chunks(data['data_samples'], 'idx_view1')
    assert ids.shape == (3, 2, 4) and ids.dtype == torch.long
    assert token_chunks([DataSample()], 'idx_view1') is None
    data['data_samples'][1] = DataSample()
    with pytest.raises(ValueError, match='idx_view1'):
        token_chunks(data['data_samples'], 'idx_view1')


def test_train_step_takes_one_optimizer_step_per_chunk_on_that_chunk():
    model = _tiny_aps()
    model.train()
    data = _batch(batch=4, chunks=3, n=4)
    seen = []
    original = model.backbone.forward

    def record(x, token_idx=None):
        seen.append(token_idx.clone())
        return original(x, token_idx)

    model.backbone.forward = record
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    optimizer.register_step_post_hook(lambda *args: steps.append(1))
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    wrapper = OptimWrapper(optimizer)
    log = model.train_step(data, wrapper)
    assert len(steps) == 3
    assert log['steps'].item() == 3 and torch.isfinite(log['loss'])
    ids1 = token_chunks(data['data_samples'], 'idx_view1')
    ids2 = token_chunks(data['data_samples'], 'idx_view2')
    assert len(seen) == 6
    for k in range(3):
        assert torch.equal(seen[2 * k], ids1[:, k]) and torch.equal(seen[2 * k + 1], ids2[:, k])
    assert any(not torch.equal(before[k], v) for k, v in model.named_parameters())


def test_chunk_losses_differ_and_train_step_averages_them():
    model = _tiny_aps()
    model.eval()  # BN in eval: deterministic forwards, no running-stat drift between calls
    data = model.data_preprocessor(_batch(batch=4, chunks=2, n=4), False)
    losses = [model.loss(data['inputs'], data['data_samples'], chunk=k)['loss'] for k in range(2)]
    assert not torch.isclose(losses[0], losses[1])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    log = model.train_step(_batch(batch=4, chunks=2, n=4), OptimWrapper(optimizer))
    assert log['loss'].item() == pytest.approx((losses[0] + losses[1]).item() / 2, rel=1e-5)


def test_a_chunk_of_every_token_equals_the_all_token_forward():
    model = _tiny_aps()
    model.eval()
    data = model.data_preprocessor(_batch(batch=4, chunks=1, n=16), False)
    full = model.loss(data['inputs'], [DataSample() for _ in range(4)])['loss']
    chunk = model.loss(data['inputs'], data['data_samples'], chunk=0)['loss']
    assert torch.allclose(full, chunk, atol=1e-5)


def test_batch_without_token_ids_takes_one_step():
    model = _tiny_aps()
    data = _batch(batch=4)
    data['data_samples'] = [DataSample() for _ in range(4)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    optimizer.register_step_post_hook(lambda *args: steps.append(1))
    log = model.train_step(data, OptimWrapper(optimizer))
    assert len(steps) == 1 and log['steps'].item() == 1


def test_errors_name_the_fix():
    model = _tiny_aps()
    data = model.data_preprocessor(_batch(batch=4, chunks=2, n=4), False)
    with pytest.raises(ValueError, match='MultiStepDistributedDataParallel'):
        model(data['inputs'], data['data_samples'], mode='loss')
    with pytest.raises(ValueError, match='chunk'):
        model.loss(data['inputs'], data['data_samples'], chunk=2)
    with pytest.raises(ValueError, match='2 views'):
        model.loss(data['inputs'][:1], data['data_samples'], chunk=0)
    for sample in data['data_samples']:
        del sample.idx_view2
    with pytest.raises(ValueError, match='idx_view2'):
        model.loss(data['inputs'], data['data_samples'], chunk=0)
    with pytest.raises(ValueError, match='APSHead'):
        MODELS.build(dict(type='APS', backbone=TINY_VIT, neck=_mlp(32), head=_mlp(16)))


# ----------------------------------------------------------------------------------------------- end to end
def _scalars(work_dir):
    files = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    assert len(files) == 1
    return [json.loads(line) for line in open(files[0]) if '"loss"' in line]


@pytest.mark.parametrize(
    'config,steps',
    [
        ('aps/aps_vit-tiny-p2_1xb512-amp-coslr-1600e_cifar10.py', 4),
        ('aps/aps_vit-tiny-p2_1xb64-alltokens-coslr-120iter_cifar10.py', 1),
    ],
)
def test_two_iteration_train_run_on_digits(config, steps, tmp_path):
    from mmssl_ext.utils import safe_torch_load
    from tools.train import main

    cfg = smoke_cfg(config, tmp_path / 'run', iters=2, batch_size=8, img_size=16, knn=False)
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    main([cfg_file])
    rows = _scalars(tmp_path / 'run')
    assert len(rows) == 2 and all(math.isfinite(r['loss']) for r in rows)
    assert all(r['steps'] == steps for r in rows)
    ckpt = safe_torch_load(glob.glob(str(tmp_path / 'run' / '*.pth'))[0])
    adam_steps = {float(s['step']) for s in ckpt['optimizer']['state'].values()}
    assert adam_steps == {2.0 * steps}  # AdamW's own step counter: 2 batches x steps per batch


def test_bench_script_smoke_mode(capsys):
    from bench.aps_tokens import main

    rows = main(['--batch', '4', '--repeats', '1', '--arch', 'tiny-test'])
    assert set(rows) == {'APS (25% tokens, 4 steps / batch)', 'all tokens (1 step / batch)'}
    aps = rows['APS (25% tokens, 4 steps / batch)']
    assert aps['steps_per_s'] == pytest.approx(4 / aps['sec'])
    assert 'tokens/s vs all tokens' in capsys.readouterr().out


@pytest.mark.parametrize(
    'config,patch',
    [
        ('aps/aps_vit-tiny-p2_1xb512-amp-coslr-1600e_cifar10.py', 4),
        ('aps/aps_vit-small-p16_32xb128-amp-coslr-300e_in1k.py', 4),
    ],
)
def test_smoke_config_keeps_sampler_and_vit_on_one_grid(config, patch, tmp_path):
    from mmssl_ext.utils.smoke import _find_transforms

    cfg = smoke_cfg(config, tmp_path, iters=2, batch_size=8, img_size=32, knn=False)
    (sampler,) = _find_transforms(cfg.train_dataloader, 'APSPatchSampler')
    assert (sampler.img_size, sampler.patch_size) == (32, patch)
    assert (cfg.model.backbone.img_size, cfg.model.backbone.patch_size) == (32, patch)
    if not torch.cuda.is_available():
        assert cfg.optim_wrapper.type == 'OptimWrapper' and 'loss_scale' not in cfg.optim_wrapper


def test_every_chunk_forward_runs_inside_the_optim_context():
    """AMP (``AmpOptimWrapper``) autocasts inside ``optim_context``: every chunk's forward must be in one."""
    import contextlib

    class RecordingWrapper(OptimWrapper):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.depth, self.forwards_inside = 0, []

        @contextlib.contextmanager
        def optim_context(self, model):
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1

    model = _tiny_aps()
    wrapper = RecordingWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    original = model.loss

    def loss(*args, **kwargs):
        wrapper.forwards_inside.append(wrapper.depth > 0)
        return original(*args, **kwargs)

    model.loss = loss
    model.train_step(_batch(batch=4, chunks=4, n=4), wrapper)
    assert wrapper.forwards_inside == [True] * 4
