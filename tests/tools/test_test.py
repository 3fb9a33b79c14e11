"""tools/test.py: evaluates a linear-probe checkpoint; points SSL configs to knn_eval."""

import os.path as osp

import pytest
from mmengine.runner import Runner

from tests.helpers import config_path, smoke_cfg

PROBE = config_path('benchmarks', 'classification', 'cifar10', 'resnet18_linear-probe-sgd-coslr-100e_cifar10.py')


def test_test_tool_reports_accuracy_of_a_trained_probe(tmp_path):
    from tools.test import main

    cfg = smoke_cfg(PROBE, tmp_path, img_size=32)
    Runner.from_cfg(cfg).train()
    cfg_file = str(tmp_path / 'probe.py')
    cfg.dump(cfg_file)
    metrics = main([cfg_file, osp.join(str(tmp_path), 'epoch_1.pth'), '--work-dir', str(tmp_path / 'test'),
                    '--cfg-options', 'experiment_name=probe_test'])  # fmt: skip
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}
    assert 0.0 <= metrics['accuracy/top1'] <= metrics['accuracy/top5'] <= 100.0


def test_test_tool_on_a_pretraining_config_points_to_knn_eval(tmp_path):
    from tools.test import main

    with pytest.raises(SystemExit, match='knn_eval.py'):
        main([config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py'), str(tmp_path / 'x.pth')])
