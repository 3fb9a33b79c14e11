"""A diverged run stops loudly and leaves no checkpoint that looks good.

NonFiniteGuardHook (and TrainLoopGuardHook), both in every config through the default runtime.
"""

import glob
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from mmssl_ext.engine.hooks import NonFiniteError, NonFiniteGuardHook, non_finite_tensors
from tests.helpers import config_path

DIGITS = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def _train(tmp_path, name, *options):
    from tools.train import main

    main([DIGITS, '--work-dir', str(tmp_path / name), '--cfg-options', f'experiment_name=guard_{name}', *options])


def _checkpoints(tmp_path, name):
    return sorted(glob.glob(osp.join(str(tmp_path / name), '*.pth')))


def test_non_finite_tensors_names_nan_and_inf_only():
    tensors = {
        'ok': torch.ones(3),
        'nan': torch.tensor([1.0, float('nan')]),
        'inf': torch.tensor([float('-inf')]),
        'ints': torch.tensor([1, 2]),
        'empty': torch.zeros(0),
        'step': 3,
    }
    assert non_finite_tensors(tensors) == ['nan', 'inf']
    assert non_finite_tensors({'ok': torch.ones(2, dtype=torch.float64)}) == []


def _fake_runner(name, iteration=4, model=None, last_ckpt=None):
    hub = MessageHub.get_instance(f'guard_{name}')
    hub.update_info('last_ckpt', last_ckpt)
    return SimpleNamespace(iter=iteration, message_hub=hub, model=model or torch.nn.Linear(2, 2))


def test_a_non_finite_loss_term_stops_the_run_naming_it():
    runner = _fake_runner('loss', last_ckpt='work_dirs/x/iter_4.pth')
    runner.message_hub.update_scalar('train/loss', 1.0)
    runner.message_hub.update_scalar('train/loss_ddm', float('inf'))
    runner.message_hub.update_scalar('train/kept_frac', float('nan'))  # a monitor, not a loss term: ignored
    hook = NonFiniteGuardHook()
    outputs = {'loss': torch.tensor(1.0), 'loss_ddm': torch.tensor(float('inf')), 'kept_frac': torch.tensor(0.0)}
    with pytest.raises(NonFiniteError, match=r'iteration 5: loss_ddm=inf; the last checkpoint written is .*iter_4'):
        hook.after_train_iter(runner, 0, outputs=outputs)
    runner.message_hub.update_scalar('train/loss_ddm', 2.0)
    hook.after_train_iter(runner, 0, outputs=outputs)  # finite again: passes


def test_non_finite_parameters_stop_the_run_at_the_checked_iterations():
    # the loss reads finite (the kernels zero non-finite rows): the weights give the divergence away
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.bias[0] = float('nan')
    hook = NonFiniteGuardHook(param_interval=3)
    outputs = {'loss': torch.tensor(0.0)}
    for iteration in (0, 1):  # iterations 1 and 2: not checked
        runner = _fake_runner(f'interval{iteration}', iteration=iteration, model=model)
        runner.message_hub.update_scalar('train/loss', 0.0)
        hook.after_train_iter(runner, 0, outputs=outputs)
    runner = _fake_runner('interval2', iteration=2, model=model)
    runner.message_hub.update_scalar('train/loss', 0.0)
    with pytest.raises(NonFiniteError, match=r'1 parameter tensors became non-finite at iteration 3 \(first: bias\)'):
        hook.after_train_iter(runner, 0, outputs=outputs)
    with pytest.raises(ValueError, match='param_interval'):
        NonFiniteGuardHook(param_interval=-1)


def test_a_checkpoint_with_non_finite_tensors_is_refused():
    runner = _fake_runner('ckpt', iteration=7)
    hook = NonFiniteGuardHook()
    hook.before_save_checkpoint(runner, {'state_dict': {'w': torch.ones(2)}, 'meta': {}})
    with pytest.raises(NonFiniteError, match=r'Refusing to save a checkpoint at iteration 7: 1 tensors .*queue'):
        hook.before_save_checkpoint(
            runner, {'state_dict': {'w': torch.ones(2), 'queue': torch.full((2,), float('nan'))}}
        )


def test_diverged_run_fails_fast_and_writes_no_checkpoint(tmp_path):
    # lr 1e8 diverges within a few steps; before the guard it logged loss 0.0 and saved epoch_2.pth
    with pytest.raises(NonFiniteError, match=r'Non-finite loss at iteration \d+: loss=nan') as err:
        _train(tmp_path, 'diverged', 'optim_wrapper.optimizer.lr=1e8', 'train_cfg.max_epochs=2')
    assert 'no checkpoint has been written yet' in str(err.value)
    assert _checkpoints(tmp_path, 'diverged') == []


def _wrapper(max_consecutive=2):
    from mmssl_ext.engine import NonFiniteSkipOptimWrapper

    model = torch.nn.Linear(3, 1)
    return model, NonFiniteSkipOptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), max_consecutive=max_consecutive
    )


def test_guard_lets_a_skipped_step_pass_and_still_checks_the_weights():
    model, wrapper = _wrapper()
    runner = _fake_runner('skipped', model=model)
    runner.optim_wrapper = wrapper
    runner.message_hub.update_scalar('train/loss', float('nan'))
    outputs = {'loss': torch.tensor(float('nan'))}
    wrapper.last_skipped = True
    NonFiniteGuardHook().after_train_iter(runner, 0, outputs=outputs)  # skipped on purpose: passes
    wrapper.last_skipped = False
    with pytest.raises(NonFiniteError, match='Non-finite loss'):
        NonFiniteGuardHook().after_train_iter(runner, 0, outputs=outputs)


def test_guards_are_registered_and_can_be_turned_off(tmp_path):
    from mmssl_ext.engine import build_runner
    from tests.helpers import smoke_cfg

    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path / 'on')
    names = {type(h).__name__ for h in build_runner(cfg).hooks}
    assert {'NonFiniteGuardHook', 'TrainLoopGuardHook'} <= names
    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path / 'off')
    cfg.default_hooks.update(non_finite=None, train_loop_guard=None)  # MMEngine alone asserts on these
    names = {type(h).__name__ for h in build_runner(cfg).hooks}
    assert not {'NonFiniteGuardHook', 'TrainLoopGuardHook'} & names and 'CheckpointHook' in names
