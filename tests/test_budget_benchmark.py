# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Budget benchmark: what a preset may change, and a 2-iteration run that writes its JSON, table and figures."""

import json
import os.path as osp

import pytest
from mmengine.config import Config

from tools.benchmarks.budget import report, run
from tools.benchmarks.budget.methods import METHODS
from tools.benchmarks.budget.presets import PRESETS, apply_preset, find_type

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(ROOT, METHODS[name].config))


def test_every_method_config_exists():
    for name, method in METHODS.items():
        assert osp.exists(osp.join(ROOT, method.config)), (name, method.config)


def test_cpu_small_changes_the_budget_not_the_method(tmp_path):
    cfg = _cfg('simclr')
    out = apply_preset(cfg, PRESETS['cpu-small'], seed=3, work_dir=str(tmp_path))
    # budget: width 16 ResNet-18, its 128-d output feeds the projector, 390 iterations at batch 256
    assert out.model.backbone.base_channels == 16 and out.model.backbone.stem_channels == 16
    assert out.model.neck.in_channels == 128
    assert out.train_cfg == dict(type='ResumableIterBasedTrainLoop', max_iters=390, val_interval=390)
    assert out.train_dataloader.batch_size == 256 and out.randomness.seed == 3
    # warm-up (10 of 1000 epochs) and cosine keep their share of the run, now counted in iterations
    warm, cos = out.param_scheduler
    assert (warm.begin, warm.end, warm.by_epoch) == (0, 4, False)
    assert (cos.begin, cos.end, cos.T_max, cos.by_epoch) == (4, 390, 386, False)
    # the method's own hyper-parameters are untouched
    assert out.model.loss == cfg.model.loss and out.optim_wrapper.optimizer == cfg.optim_wrapper.optimizer
    assert out.model.neck.hid_channels == cfg.model.neck.hid_channels
    assert out.auto_scale_lr == dict(base_batch_size=256, enable=True)
    # the source config is not modified
    assert cfg.model.backbone.get('base_channels', 64) == 64 and cfg.train_cfg.type == 'ResumableEpochBasedTrainLoop'


@pytest.mark.parametrize(
    'name, path, epochs, iters',
    [
        ('mochi', ('mixer',), ('start_epoch', 15), ('start_iter', 6)),
        ('curated-simclr', ('curator',), ('warmup_epochs', 10), ('warmup_iters', 4)),
    ],
)
def test_epoch_delays_become_iteration_delays(tmp_path, name, path, epochs, iters):
    # an IterBasedTrainLoop stays in epoch 0: a delay of 15 of 1000 epochs becomes 6 of 390 iterations
    cfg = _cfg(name)
    part = apply_preset(cfg, PRESETS['cpu-small'], seed=0, work_dir=str(tmp_path)).model
    source = cfg.model
    for key in path:
        part, source = part[key], source[key]
    assert source[epochs[0]] == epochs[1]
    assert part[epochs[0]] == 0 and part[iters[0]] == iters[1]


def test_preset_scales_lr_from_the_config_batch(tmp_path):
    out = apply_preset(_cfg('supcon'), PRESETS['cpu-small'], seed=0, work_dir=str(tmp_path))
    assert out.budget['base_batch_size'] == 1024 and out.budget['batch_size'] == 256
    hooks = [h for h in out.custom_hooks if h['type'] == 'KNNEvalHook']
    assert len(hooks) == 1 and hooks[0]['interval'] == 97 and hooks[0]['by_epoch'] is False


def test_vit_preset_shrinks_the_vit_and_its_patch_sampler(tmp_path):
    out = apply_preset(_cfg('aps'), PRESETS['cpu-small'], seed=0, work_dir=str(tmp_path))
    assert out.model.backbone.arch['embed_dims'] == 128 and out.model.backbone.patch_size == 4
    samplers = find_type(out.train_dataloader, 'APSPatchSampler')
    assert samplers and all(s['patch_size'] == 4 for s in samplers)


def test_gpu_preset_needs_epochs(tmp_path):
    with pytest.raises(ValueError, match='--epochs'):
        apply_preset(_cfg('simclr'), PRESETS['gpu'], seed=0, work_dir=str(tmp_path))


def test_smoke_run_writes_json_table_and_figures(tmp_path, capsys):
    out_dir, work_dir = tmp_path / 'out', tmp_path / 'wd'
    args = ['--preset', 'smoke', '--methods', 'simclr', '--seeds', '0', '--out-dir', str(out_dir)]
    args += ['--work-dir', str(work_dir), '--no-random']  # random rows: test_summary_mean_std_and_gain
    assert run.main(args) == 0  # the run itself goes to a child process, as every benchmark run
    record = json.loads((out_dir / 'smoke' / 'simclr_seed0.json').read_text())
    for key in ('config', 'preset', 'seed', 'wall_s', 'img_per_s', 'final_loss', 'knn/top1', 'knn/top5', 'linear/top1'):
        assert key in record, key
    assert record['iters'] == 2 and 0 <= record['knn/top1'] <= 100 and record['curve']['knn'][0][0] == 0
    assert record['final_loss'] > 0 and record['img_per_s'] > 0
    # resumes: a second call finds the JSON and skips the run
    capsys.readouterr()
    assert run.main(args) == 0 and capsys.readouterr().out.count(': done') == 1
    doc = tmp_path / 'benchmarks.md'
    doc.write_text('# Benchmarks\n')
    table = report.main(
        ['--preset', 'smoke', '--out-dir', str(out_dir), '--doc', str(doc), '--img-dir', str(tmp_path / 'img')]
    )
    text = doc.read_text()
    assert text.startswith('# Benchmarks\n') and '<!-- budget:smoke:start -->' in text and table in text
    assert '| simclr | 0 |' in table
    assert (tmp_path / 'img' / 'budget_smoke_curves.png').stat().st_size > 1000
    assert (tmp_path / 'img' / 'budget_smoke_bars.png').stat().st_size > 1000
    report.main(['--preset', 'smoke', '--out-dir', str(out_dir), '--doc', str(doc), '--no-plots'])
    assert doc.read_text().count('<!-- budget:smoke:start -->') == 1  # the section is replaced, not appended


def test_summary_mean_std_and_gain():
    runs = {
        'random-resnet': [{'seed': 0, 'knn/top1': 20.0, 'knn/top5': 70.0, 'linear/top1': 25.0}],
        'simclr': [
            {'seed': s, 'knn/top1': v, 'knn/top5': 80.0, 'linear/top1': 40.0, 'train_s': 60.0, 'img_per_s': 100.0}
            for s, v in ((0, 40.0), (1, 44.0))
        ],
    }
    summary = report.summarise(runs)
    mean, std = summary['simclr']['knn/top1']
    assert mean == 42.0 and std == pytest.approx(8**0.5)  # sample std of (40, 44)
    assert summary['simclr']['gain'] == 22.0 and summary['random-resnet']['gain'] is None
    # one seed has no std yet: the cell shows the mean alone
    assert summary['random-resnet']['knn/top1'] == (20.0, None)
    assert report._cell(summary['random-resnet']['knn/top1']) == '20.00'
    assert report._cell(summary['simclr']['knn/top1']) == '42.00 ± 2.83'
