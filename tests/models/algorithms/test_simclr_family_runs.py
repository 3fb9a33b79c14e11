"""SimCLR family end to end: 2-iteration tools/train.py runs on digits (SimCLR, batch curation, DCL(W),
SupCon stage 1 and its cross-entropy baseline) and the Frechet gate's skipped step."""

import copy
import glob
import json
import math

import pytest
import torch
from mmengine.runner import Runner

from mmssl_ext.utils import safe_torch_load
from tests.helpers import smoke_cfg

METHODS = {
    'simclr': 'simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py',
    'curated-filter': 'curated_simclr/curated-simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py',
    'curated-oversample': 'curated_simclr/curated-simclr_resnet18_1xb320-oversample256-lars-coslr-1000e_cifar10.py',
    'dcl': 'dcl/dcl_resnet18_1xb256-lars-coslr-1000e_cifar10.py',
    'dclw': 'dcl/dclw_resnet18_1xb256-lars-coslr-1000e_cifar10.py',
    'supcon': 'supcon/supcon_resnet18_1xb1024-coslr-1000e_cifar10.py',
    'ce': 'supcon/ce_resnet18_1xb1024-coslr-500e_cifar10.py',
}
CURATED_STATS = ('kept_frac', 'pos_sim', 'pos_sim_kept', 'frd', 'fn_frac', 'skipped')
CONV = 'backbone.conv1.weight'


def _shrunk(name, work_dir, iters=2):
    cfg = smoke_cfg(METHODS[name], work_dir, iters=iters, knn=False)
    if name == 'curated-filter':
        # curate from the first step; min_kept (the config's 64, shrunk to the batch of 8) would keep all 8
        cfg.model.curator.update(warmup_epochs=0, warmup_iters=0, keep_fraction=0.75, min_kept=2)
    if name == 'curated-oversample':
        cfg.model.curator.update(warmup_epochs=0, warmup_iters=0)  # the scoring pass selects from step 1
    return cfg


def _initial_state(cfg):
    """State dict and parameter names of the model train.py starts from (same config, seed and init)."""
    probe = copy.deepcopy(cfg)
    probe.experiment_name = f'{cfg.experiment_name}_probe'
    model = Runner.from_cfg(probe).model
    model.init_weights()
    params = [n for n, p in model.named_parameters() if p.is_floating_point()]
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, params


def _train(cfg, tmp_path):
    from tools.train import main

    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    main([cfg_file])
    ckpt = safe_torch_load(str(tmp_path / 'run' / 'epoch_1.pth'))
    scalars = glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'scalars.json'))
    assert len(scalars) == 1
    rows = [json.loads(line) for line in open(scalars[0])]
    return ckpt, [r for r in rows if 'loss' in r]


@pytest.mark.parametrize('name', sorted(METHODS))
def test_two_iterations_through_tools_train(name, tmp_path):
    cfg = _shrunk(name, tmp_path / 'run')
    init, _ = _initial_state(cfg)
    assert torch.equal(init[CONV], _initial_state(cfg)[0][CONV])  # the probe's init is deterministic
    ckpt, rows = _train(cfg, tmp_path)

    assert ckpt['meta']['iter'] == 2
    state = ckpt['state_dict']
    assert not torch.equal(state[CONV], init[CONV])  # the optimizer moved the weights
    assert len(rows) == 2 and all(math.isfinite(r['loss']) for r in rows)
    if name.startswith('curated'):
        for row in rows:
            assert all(key in row for key in CURATED_STATS), row
            assert math.isfinite(row['pos_sim']) and -1.0 <= row['pos_sim'] <= 1.0
            assert math.isfinite(row['frd']) and row['frd'] >= 0.0
            assert row['skipped'] == 0.0
            assert row['fn_frac'] == 0.0  # no false-negative removal in either config
        # filter: the 6 best-aligned of 8 pairs; oversampling: every one of the 4 selected pairs
        expected = 0.75 if name == 'curated-filter' else 1.0
        assert [r['kept_frac'] for r in rows] == [expected, expected]
        if name == 'curated-filter':
            # the kept pairs are the best-aligned ones
            assert all(r['pos_sim_kept'] >= r['pos_sim'] for r in rows)
    else:
        assert not any(key in r for r in rows for key in ('kept_frac', 'skipped'))


def _gated(tmp_path, wrapper):
    cfg = smoke_cfg(METHODS['curated-filter'], tmp_path / 'run', iters=2, knn=False)
    assert cfg.optim_wrapper.type == 'SkipStepOptimWrapper'
    cfg.model.curator.update(frd_threshold=1e-12, warmup_epochs=0, warmup_iters=0)  # the gate always fires
    cfg.optim_wrapper.type = wrapper
    init, params = _initial_state(cfg)
    ckpt, rows = _train(cfg, tmp_path)
    assert len(rows) == 2 and all(math.isfinite(r['loss']) for r in rows)
    assert [r['skipped'] for r in rows] == [1.0, 1.0]
    assert all(r['frd'] > 1e-12 for r in rows)
    assert all(r['loss'] == 0.0 for r in rows)  # the gated loss is zero through the graph
    return init, params, ckpt


def test_frd_gate_skips_the_update(tmp_path):
    init, params, ckpt = _gated(tmp_path, 'SkipStepOptimWrapper')
    state = ckpt['state_dict']
    trained = [n for n in params if n.startswith(('backbone.', 'neck.'))]
    assert CONV in trained and len(trained) > 60
    for name in trained:  # BN running statistics may change (train-mode forward): parameters only
        assert torch.equal(state[name], init[name]), name
    assert ckpt['optimizer']['state'] == {}  # LARS never stepped: no momentum buffer


def test_frd_gate_with_a_plain_wrapper_still_moves_the_weights(tmp_path):
    init, _, ckpt = _gated(tmp_path, 'OptimWrapper')
    # zero gradients, but LARS's weight decay and momentum still update the (non-excluded) weights
    assert not torch.equal(ckpt['state_dict'][CONV], init[CONV])
    assert ckpt['optimizer']['state'] != {}
