"""Every config listed in model-index.yml (and every benchmark config) runs through smoke_run."""

import glob
import os.path as osp

import pytest
import yaml

from tests.helpers import ROOT


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
# configs. They are exercised by their own tests (tests/configs/test_aps_mmdet_transfer.py).
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
