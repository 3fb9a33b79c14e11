# Copyright (c) mmssl_ext contributors. All rights reserved.
"""``Pretrained`` initialisation that refuses a checkpoint whose keys do not fit the module.

MMEngine's ``PretrainedInit`` loads with ``strict=False``: a checkpoint of another architecture, a wrong
``prefix`` or a renamed key leaves the module at its random initialisation after one log line that scrolls by.
For transfer (linear probes, mmdet detectors) that silently measures a random backbone. :class:`CheckedPretrainedInit`
loads the same files (local paths and MMEngine's URL schemes, full mmssl_ext checkpoints or extracted backbone
files) and

* takes the ``prefix`` keys of a full checkpoint, or the file as it is when no key carries the prefix but its keys
  fit the module (an extracted backbone);
* logs how many tensors it loaded and the unexpected keys (keys of the checkpoint the module does not have: the
  res5 of a C4 backbone, a projector);
* raises :class:`PretrainedKeysError`, listing them, for missing keys (module tensors the checkpoint does not
  provide, except BN ``num_batches_tracked`` and the ``allow_missing`` patterns) and shape mismatches.

It is registered as ``'CheckedPretrained'`` and, in the ``mmssl_ext`` scope, as ``'Pretrained'``, so
``init_cfg=dict(type='Pretrained', ...)`` is checked in our runs; MMEngine's unchecked loader stays reachable as
``'mmengine.Pretrained'``. In mmdet's scope it is ``'Pretrained'`` only in a process that imported
:mod:`mmssl_ext.integrations.mmdet` (the transfer configs do, through ``custom_imports``).
"""

import fnmatch
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from mmengine.runner.checkpoint import _load_checkpoint

from mmssl_ext.registry import WEIGHT_INITIALIZERS
from mmssl_ext.utils.checkpoint import register_safe_globals

__all__ = ['CheckedPretrainedInit', 'PretrainedKeysError', 'select_state_dict']

_SHOWN = 12  # keys listed per category in messages


class PretrainedKeysError(KeyError):
    """The checkpoint's keys do not fit the module (missing keys, shape mismatches or no usable key)."""

    def __str__(self) -> str:  # KeyError quotes its message; show it as written
        return str(self.args[0]) if self.args else ''


def _listing(keys: Sequence[str]) -> str:
    keys = list(keys)
    more = f' ... (+{len(keys) - _SHOWN} more)' if len(keys) > _SHOWN else ''
    return ', '.join(keys[:_SHOWN]) + more


def select_state_dict(
    checkpoint: dict, prefix: Optional[str], module_keys: Sequence[str], source: str = 'checkpoint'
) -> Dict[str, torch.Tensor]:
    """The weights of ``checkpoint`` meant for a module with ``module_keys``.

    Args:
        checkpoint (dict): A loaded checkpoint: ``{'state_dict': ...}``, ``{'model': ...}`` or a bare state dict.
        prefix (str, optional): Key prefix of the module in a full checkpoint (``'backbone.'``); stripped. When no
            key has it and some keys already fit ``module_keys``, the file is taken as an extracted module.
            Defaults to None.
        module_keys (Sequence[str]): The module's state-dict keys.
        source (str): Name of the checkpoint in messages. Defaults to 'checkpoint'.

    Returns:
        dict[str, torch.Tensor]: The selected weights (DDP ``module.`` prefixes removed).

    Raises:
        PretrainedKeysError: When neither the prefixed keys nor the bare keys fit.
    """
    state = checkpoint
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not state:
        raise PretrainedKeysError(f'{source} holds no state dict (type {type(state).__name__}).')
    state = OrderedDict((k[7:] if k.startswith('module.') else k, v) for k, v in state.items())
    if not prefix:
        return state
    prefix = prefix if prefix.endswith('.') else prefix + '.'
    selected = OrderedDict((k[len(prefix) :], v) for k, v in state.items() if k.startswith(prefix))
    if selected:
        return selected
    if set(state) & set(module_keys):
        print_log(f'{source}: no key starts with {prefix!r}: loading it as an extracted module file', logger='current')
        return state
    raise PretrainedKeysError(
        f'{source}: no key starts with prefix {prefix!r} and none matches the module. '
        f'Checkpoint keys: {_listing(list(state))}. Module keys: {_listing(list(module_keys))}.'
    )


@WEIGHT_INITIALIZERS.register_module(name='CheckedPretrained')
@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class CheckedPretrainedInit:
    """Load a checkpoint into a module and fail when its keys do not fit (see the module docstring).

    Args:
        checkpoint (str): Path or MMEngine URL (``torchvision://``, ``open-mmlab://``, http) of the checkpoint.
        prefix (str, optional): Prefix of the module's keys in a full checkpoint, e.g. ``'backbone.'``.
            Defaults to None.
        map_location (str): Where to load the tensors. Defaults to 'cpu'.
        allow_missing (Sequence[str]): ``fnmatch`` patterns of module keys the checkpoint may lack (layers added
            for transfer, e.g. ``'norm.*'`` of mmdet's ``ResLayerExtraNorm``). Defaults to ().
    """

    def __init__(
        self,
        checkpoint: str,
        prefix: Optional[str] = None,
        map_location: str = 'cpu',
        allow_missing: Sequence[str] = (),
    ) -> None:
        if not checkpoint:
            raise ValueError(
                "init_cfg type 'Pretrained' needs `checkpoint` (a path or URL), got an empty value; set e.g. "
                '--cfg-options model.backbone.init_cfg.checkpoint=PATH, or init_cfg=None for random weights.'
            )
        if isinstance(allow_missing, str):
            allow_missing = (allow_missing,)
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.allow_missing = tuple(allow_missing)

    def __call__(self, module: nn.Module) -> None:
        """Load the weights into ``module`` (raises :class:`PretrainedKeysError` on a mismatch).

        Args:
            module (nn.Module): The module to initialise.
        """
        register_safe_globals()
        module_keys = list(module.state_dict())
        ckpt = _load_checkpoint(self.checkpoint, map_location=self.map_location, logger='current')
        state = select_state_dict(ckpt, self.prefix, module_keys, source=str(self.checkpoint))
        try:
            result = module.load_state_dict(state, strict=False)
        except RuntimeError as err:  # size mismatches: torch raises even with strict=False
            raise PretrainedKeysError(
                f'{self.checkpoint} (prefix {self.prefix!r}) does not fit {type(module).__name__}: {err}'
            ) from None
        missing = [
            k
            for k in result.missing_keys
            if not k.endswith('num_batches_tracked') and not any(fnmatch.fnmatch(k, p) for p in self.allow_missing)
        ]
        if missing:
            num_tensors = sum(not k.endswith('num_batches_tracked') for k in module_keys)
            raise PretrainedKeysError(
                f'{self.checkpoint} (prefix {self.prefix!r}) lacks {len(missing)} of the {num_tensors} tensors '
                f'of {type(module).__name__}: {_listing(missing)}. Checkpoint keys: {_listing(list(state))}. '
                'Check the architecture and the prefix, or list keys the checkpoint may lack in `allow_missing`.'
            )
        allowed = [k for k in result.missing_keys if k not in missing and not k.endswith('num_batches_tracked')]
        loaded = len(state) - len(result.unexpected_keys)
        print_log(
            f'loaded {loaded} tensors into {type(module).__name__} from {self.checkpoint} (prefix {self.prefix!r})'
            + (f'; missing (allowed): {_listing(allowed)}' if allowed else '')
            + (f'; unexpected (ignored): {_listing(result.unexpected_keys)}' if result.unexpected_keys else ''),
            logger='current',
        )
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=f'{type(self).__name__}: load from {self.checkpoint}')
