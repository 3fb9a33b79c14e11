# Copyright (c) mmssl_ext contributors. All rights reserved.
"""MMEngine's ``Runner`` with SyncBN on CPU process groups: what ``tools/train.py`` and ``tools/test.py`` build."""

import logging
from typing import Dict, List, Optional, Union

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmssl_ext.models.utils.cpu_sync_bn import convert_cpu_sync_batchnorm
from mmssl_ext.registry import RUNNERS

from .resume_check import checkpoint_problem, resume_candidates

__all__ = ['SSLRunner', 'build_runner']


@RUNNERS.register_module()
class SSLRunner(Runner):
    """``mmengine.runner.Runner`` that keeps SyncBN working when the ranks run on the CPU (gloo).

    MMEngine converts BatchNorm to ``torch.nn.SyncBatchNorm`` for ``sync_bn='torch'``, and configs may build
    ``SyncBN`` layers themselves (mmpretrain's ``NonLinearNeck`` default, mmdet's transfer configs); torch's layer
    refuses CPU tensors under a process group. In a distributed run on the CPU this runner converts those layers
    (and, for ``sync_bn='torch'``, every BatchNorm) to :class:`~mmssl_ext.models.utils.CPUSyncBatchNorm` instead,
    which synchronises the batch statistics over gloo with exact gradients. Everything else (and every run on a
    GPU or in one process) is MMEngine's.

    ``resume`` checks the checkpoint first (:func:`checkpoint_problem`: it loads, its tensors are finite and
    shaped like the model's). An automatic resume (``--resume`` without a path) falls back to the newest good
    checkpoint of the work dir with a warning naming what was wrong with the newer ones, and raises when there
    are checkpoints but none is good; a resume from a given path raises when that file is not good.
    """

    _load_from: Optional[str]  # set by Runner.__init__ (declared for the type checker)

    def register_default_hooks(self, hooks: Optional[Dict] = None) -> None:
        """Register the default hooks, leaving out every key set to ``None``.

        MMEngine removes only its own default keys when they are ``None`` and asserts on any other; this lets a
        config turn off the hooks the default runtime adds (``default_hooks.non_finite=None``,
        ``default_hooks.train_loop_guard=None``) the same way.

        Args:
            hooks (dict, optional): Default hooks or their configs. Defaults to None.
        """
        if hooks is not None:
            own = {'runtime_info', 'timer', 'sampler_seed', 'logger', 'param_scheduler', 'checkpoint'}
            hooks = {name: hook for name, hook in hooks.items() if hook is not None or name in own}
        super().register_default_hooks(hooks)

    def load_or_resume(self) -> None:
        """Pick a checkpoint that can resume this run (see the class notes), then load or resume as MMEngine."""
        if self._has_loaded or not self._resume:
            return super().load_or_resume()
        model = self.model.module if is_model_wrapper(self.model) else self.model
        if self._load_from is not None:
            problem = checkpoint_problem(self._load_from, model)
            if problem:
                raise ValueError(f'Cannot resume from {self._load_from}: {problem}.')
            return super().load_or_resume()
        skipped: List[str] = []
        for path in resume_candidates(self.work_dir):
            problem = checkpoint_problem(path, model)
            if problem is None:
                if skipped:
                    print_log(
                        f'Resuming from {path}; skipped newer checkpoints: ' + '; '.join(skipped),
                        logger='current',
                        level=logging.WARNING,
                    )
                self._load_from = path
                return super().load_or_resume()
            skipped.append(f'{path}: {problem}')
        if skipped:
            raise ValueError('No checkpoint in the work dir can resume this run: ' + '; '.join(skipped))
        return super().load_or_resume()  # no checkpoint yet: start from scratch, as MMEngine does

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: nn.Module) -> nn.Module:
        """Convert SyncBN for CPU ranks, then wrap as MMEngine does.

        Args:
            model_wrapper_cfg (dict, optional): The wrapper config.
            model (nn.Module): The model to wrap.

        Returns:
            nn.Module: The wrapped model.
        """
        if not self.distributed or is_model_wrapper(model) or get_device() != 'cpu':
            return super().wrap_model(model_wrapper_cfg, model)
        sync_bn = self.cfg.get('sync_bn', None)
        if sync_bn not in (None, 'torch'):
            raise ValueError(f"sync_bn={sync_bn!r} needs CUDA; on CPU ranks use sync_bn='torch' (or None).")
        model = convert_cpu_sync_batchnorm(model, convert_batchnorm=sync_bn == 'torch')
        self.cfg.sync_bn = None  # done here: MMEngine would convert to torch's GPU-only SyncBatchNorm
        try:
            return super().wrap_model(model_wrapper_cfg, model)
        finally:
            self.cfg.sync_bn = sync_bn


def build_runner(cfg: Union[Config, ConfigDict]) -> Runner:
    """Build the config's ``runner_type`` when it names one, else an :class:`SSLRunner`.

    Args:
        cfg (Config): The full config.

    Returns:
        Runner: The runner.
    """
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return SSLRunner.from_cfg(cfg)
