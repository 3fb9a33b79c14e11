"""Every config listed in model-index.yml (and every benchmark config) runs through smoke_run."""

import glob
import os.path as osp

import pytest
import yaml
from conftest import ROOT


def listed_configs():
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    configs = []
    for metafile in index['Import']:
        with open(osp.join(ROOT, metafile)) as f:
            meta = yaml.safe_load(f)
        configs += [m['Config'] for m in meta['Models']]
    return configs


def test_every_method_config_is_listed():
    listed = set(listed_configs())
    on_disk = {
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
        if '_base_' not in p and 'benchmarks' not in p
    }
    assert on_disk == listed
    assert all(osp.isfile(osp.join(ROOT, c)) for c in listed)


# mmdet configs (configs/benchmarks/mmdetection) need mmdet's runner and datasets; smoke_run covers mmpretrain-style
# configs. They are exercised by their own tests (tests/test_aps_mmdet_transfer.py).
BENCHMARKS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', 'benchmarks', '**', '*.py'), recursive=True)
    if 'mmdetection' not in p
)


@pytest.mark.parametrize('config', listed_configs() + BENCHMARKS)
def test_smoke_run(config, tmp_path):
    from tools.misc.smoke_run import run

    runner = run(osp.join(ROOT, config), iters=2, batch_size=8, img_size=32, work_dir=str(tmp_path))
    assert runner.iter == 2


def test_smoke_cli_removes_its_temporary_work_dir(tmp_path, monkeypatch, capsys):
    import tempfile

    from tools.misc import smoke_run

    scratch = tmp_path / 'tmp'
    scratch.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(scratch))  # every temporary dir of the run lands here
    config = osp.join(ROOT, 'configs', 'simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')
    assert smoke_run.main([config, '--img-size', '16']) == 0
    out = capsys.readouterr().out
    assert 'smoke run OK' in out
    used = out.split('work_dir ')[-1].split()[0]
    assert osp.dirname(used) == str(scratch) and osp.basename(used).startswith('smoke_')
    assert not osp.exists(used)  # the checkpoint was written there, then removed
    assert not list(scratch.glob('smoke_*'))

    kept = tmp_path / 'kept'
    assert smoke_run.main([config, '--img-size', '16', '--work-dir', str(kept)]) == 0
    assert (kept / 'epoch_1.pth').is_file()  # a given --work-dir is the user's: kept
