"""NonFiniteSkipOptimWrapper: non-finite updates are dropped, and a streak of them stops the run."""

import glob
import os.path as osp

import pytest
import torch

from mmssl_ext.engine.hooks import NonFiniteError
from tests.helpers import config_path

DIGITS = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def _train(tmp_path, name, *options):
    from tools.train import main

    main([DIGITS, '--work-dir', str(tmp_path / name), '--cfg-options', f'experiment_name=guard_{name}', *options])


def _checkpoints(tmp_path, name):
    return sorted(glob.glob(osp.join(str(tmp_path / name), '*.pth')))


def _wrapper(max_consecutive=2):
    from mmssl_ext.engine import NonFiniteSkipOptimWrapper

    model = torch.nn.Linear(3, 1)
    return model, NonFiniteSkipOptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), max_consecutive=max_consecutive
    )


def test_skip_wrapper_drops_non_finite_updates_and_stops_after_max_consecutive():
    model, wrapper = _wrapper(max_consecutive=2)
    x = torch.ones(4, 3)
    wrapper.update_params(model(x).pow(2).mean())  # a finite step moves the weights
    assert wrapper.skipped_steps == 0 and not wrapper.last_skipped
    before = [p.detach().clone() for p in model.parameters()]
    bad = torch.full((4, 3), float('nan'))
    wrapper.update_params(model(bad).pow(2).mean())  # NaN loss and gradients: no step, momentum included
    assert wrapper.skipped_steps == 1 and wrapper.last_skipped
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    wrapper.update_params(model(x).pow(2).mean())  # finite again: the streak resets
    assert wrapper.consecutive == 0 and not wrapper.last_skipped
    wrapper.update_params(model(bad).pow(2).mean())
    with pytest.raises(NonFiniteError, match=r'2 updates in a row had a non-finite loss or gradient'):
        wrapper.update_params(model(bad).pow(2).mean())
    assert wrapper.skipped_steps == 3


def test_skip_mode_on_the_diverging_run_stops_after_the_streak(tmp_path):
    with pytest.raises(NonFiniteError, match='updates in a row had a non-finite'):
        _train(
            tmp_path,
            'skip',
            'optim_wrapper.optimizer.lr=1e8',
            'optim_wrapper.type=NonFiniteSkipOptimWrapper',
            'optim_wrapper.max_consecutive=3',
            'train_cfg.max_epochs=2',
        )
    assert _checkpoints(tmp_path, 'skip') == []
