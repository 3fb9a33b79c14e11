"""A diverged or empty run stops loudly and leaves no checkpoint that looks good.

NonFiniteGuardHook and TrainLoopGuardHook, both in every config through the default runtime.
"""

import glob
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from conftest import config_path
from mmengine.logging import MessageHub

from mmssl_ext.engine.hooks import NonFiniteError, NonFiniteGuardHook, non_finite_tensors

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


def test_run_without_a_batch_per_epoch_is_refused_before_training(tmp_path):
    # about 1,400 training digits, batch 4096, drop_last=True: zero iterations (it used to save epoch_3.pth)
    with pytest.raises(ValueError, match=r'No training batch per epoch: \d+ samples, .*batch_size=4096 x 1'):
        _train(tmp_path, 'empty', 'train_dataloader.batch_size=4096', 'train_cfg.max_epochs=3')
    assert _checkpoints(tmp_path, 'empty') == []


def test_zero_length_loop_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r'no iterations \(max_epochs=0'):
        _train(tmp_path, 'zero', 'train_cfg.max_epochs=0')
    assert _checkpoints(tmp_path, 'zero') == []


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


def test_guards_are_registered_and_can_be_turned_off(tmp_path):
    from conftest import smoke_cfg

    from mmssl_ext.engine import build_runner

    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path / 'on')
    names = {type(h).__name__ for h in build_runner(cfg).hooks}
    assert {'NonFiniteGuardHook', 'TrainLoopGuardHook'} <= names
    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path / 'off')
    cfg.default_hooks.update(non_finite=None, train_loop_guard=None)  # MMEngine alone asserts on these
    names = {type(h).__name__ for h in build_runner(cfg).hooks}
    assert not {'NonFiniteGuardHook', 'TrainLoopGuardHook'} & names and 'CheckpointHook' in names


def test_a_queue_shorter_than_one_step_of_keys_is_refused_before_training(tmp_path):
    from conftest import smoke_cfg

    from mmssl_ext.engine import build_runner

    moco = config_path('mocov2', 'mocov2_resnet18_1xb256-coslr-1000e_cifar10.py')
    cfg = smoke_cfg(moco, tmp_path / 'queue', iters=2, batch_size=8, knn=False)
    cfg.model.queue_len = 6
    runner = build_runner(cfg)
    with pytest.raises(ValueError, match=r'writes 8 keys \(global batch 8 = .*model.queue_len=6; raise model'):
        runner.train()
    assert _checkpoints(tmp_path, 'queue') == []
    model = runner.model
    model.check_global_batch(4)  # 6 is not a multiple of 4: accepted, writes wrap around
    model.symmetric = True
    with pytest.raises(ValueError, match=r'writes 8 keys \(two keys per sample with symmetric=True\)'):
        model.check_global_batch(4)
