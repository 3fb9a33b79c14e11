"""docs/logging.md's TensorBoard recipe on a real run: the event file holds the same loss and kNN as scalars.json."""

import glob
import json
import os.path as osp

import pytest

from tests.helpers.smoke import smoke_cfg

pytest.importorskip('tensorboard')


def _scalars_json(work_dir) -> dict:
    """``{tag: {step: value}}`` from the LocalVisBackend's ``scalars.json``."""
    (path,) = glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'scalars.json'))
    out: dict = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            row = json.loads(line)
            step = row.pop('step')
            for tag, value in row.items():
                out.setdefault(tag, {})[step] = value
    return out


def _event_scalars(work_dir) -> dict:
    """``{tag: {step: value}}`` read back from the TensorBoard event file with TensorBoard's own reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (path,) = glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'events.out.tfevents.*'))
    acc = EventAccumulator(path)
    acc.Reload()
    return {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()['scalars']}


def test_tensorboard_event_file_holds_the_loss_and_knn_scalars(tmp_path):
    from mmengine.runner import Runner

    from mmssl_ext.utils import register_all_modules

    register_all_modules()
    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path, iters=4)
    # The documented snippet: keep scalars.json, add TensorBoard.
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
    Runner.from_cfg(cfg).train()

    events, local = _event_scalars(tmp_path), _scalars_json(tmp_path)
    assert {'loss', 'lr', 'knn/top1', 'knn/top5'} <= set(events)
    assert sorted(events['loss']) == [1, 2, 3, 4]
    for tag in ('loss', 'knn/top1', 'knn/top5'):
        assert set(events[tag]) == set(local[tag])
        for step, value in local[tag].items():
            assert events[tag][step] == pytest.approx(value, rel=1e-4, abs=1e-4), (tag, step)
    assert 0.0 <= events['knn/top1'][4] <= 100.0
