"""APS end to end: 2-iteration tools/train.py runs on digits (token-chunk steps and AdamW step counts)."""

import glob
import json
import math

import pytest

from tests.helpers import smoke_cfg


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
