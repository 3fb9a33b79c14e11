"""Test-only probes for runs launched through tools/dist_train.sh (imported with ``custom_imports``).

``DistProbeHook`` records, on every rank, the model state and learning rates before the first step, the first
loaded batch, every step's local loss, the queue / pointer after each step (MoCo) and the shuffle-BN permutations;
``GradProbeOptimWrapper`` records the (DDP-averaged) gradients of the first step; ``Float64DistributedDataParallel``
trains the model in float64 (so that equality to one process is checked far below float32 rounding). Each rank
writes ``OUT_DIR/rank{r}.pt`` at the end of training.
"""

import os.path as osp

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import MMDistributedDataParallel, is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.registry import HOOKS, MODEL_WRAPPERS, OPTIM_WRAPPERS

import mmssl_ext.models.algorithms.mocov2 as mocov2_module

RECORD: dict = {'shuffles': []}
_shuffle = mocov2_module.batch_shuffle_ddp


def _recording_shuffle(x):
    shuffled, idx_unshuffle = _shuffle(x)
    RECORD['shuffles'].append(dict(local=x.detach().clone(), shuffled=shuffled.detach().clone(), idx=idx_unshuffle))
    return shuffled, idx_unshuffle


mocov2_module.batch_shuffle_ddp = _recording_shuffle


def _module(model):
    return model.module if is_model_wrapper(model) else model


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def _to_double(value):
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.double()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_double(v) for v in value)
    return value


@MODEL_WRAPPERS.register_module(force=True)
class Float64DistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` around a float64 copy of the model; preprocessed inputs are cast to float64."""

    def __init__(self, module, **kwargs):
        super().__init__(module=module.double(), **kwargs)

    def train_step(self, data, optim_wrapper):
        with optim_wrapper.optim_context(self):
            data = self.module.data_preprocessor(data, training=True)
            data['inputs'] = _to_double(data['inputs'])
            losses = self._run_forward(data, mode='loss')
        parsed, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed)
        return log_vars


@OPTIM_WRAPPERS.register_module(force=True)
class GradProbeOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that keeps the gradients seen by its first ``step`` (after DDP's all-reduce)."""

    names: dict = {}

    def step(self, **kwargs):
        if 'grads' not in RECORD:
            RECORD['grads'] = {
                self.names.get(id(p), str(i)): p.grad.detach().clone()
                for i, p in enumerate(p for g in self.optimizer.param_groups for p in g['params'])
                if p.grad is not None
            }
        super().step(**kwargs)


@HOOKS.register_module(force=True)
class DistProbeHook(Hook):
    """Record what the distributed tests compare (see the module docstring).

    Args:
        out_dir (str): Where each rank writes ``rank{r}.pt``.
    """

    priority = 'VERY_LOW'

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = _module(runner.model)
        if 'init_state' not in RECORD:
            GradProbeOptimWrapper.names = {id(p): n for n, p in model.named_parameters()}
            RECORD.update(
                init_state=_clone(model.state_dict()),
                batch=_clone(data_batch),
                lr=[g['lr'] for g in runner.optim_wrapper.optimizer.param_groups],
                initial_lr=[g.get('initial_lr', g['lr']) for g in runner.optim_wrapper.optimizer.param_groups],
                world_size=get_world_size(),
                norm_types=sorted({type(m).__name__ for m in model.modules() if 'Norm' in type(m).__name__}),
            )

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        model = _module(runner.model)
        RECORD.setdefault('losses', []).append(outputs['loss'].detach().clone())
        if hasattr(model, 'queue'):
            RECORD.setdefault('queues', []).append(model.queue.detach().clone())
            RECORD.setdefault('ptrs', []).append(int(model.queue_ptr))
        if getattr(model, 'memory', None) is not None and 'memory' not in RECORD:  # FNC's bank after the first step
            RECORD['memory'] = model.memory.detach().clone()

    def after_train(self, runner):
        torch.save(RECORD, osp.join(self.out_dir, f'rank{get_rank()}.pt'))
