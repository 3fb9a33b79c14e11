# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Budget presets: what a benchmark run may change in a method config (the budget, never the method).

A preset sets the backbone width (or, for ViTs, its size and patch), the batch, the number of iterations, the
dataloader workers and the evaluation sizes. The config's own schedule is rescaled from its epochs to the
preset's iterations (warm-up and cosine keep their share of the run), and its learning rate follows the linear
scaling rule from the config's ``auto_scale_lr.base_batch_size`` to the preset's batch. Everything else (loss,
temperatures, queues, augmentations, optimiser type and its other settings) is the config's.
"""

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from mmengine.config import Config, ConfigDict

from mmssl_ext.testing.smoke import DATALOADER_KEYS, digits_loader
from mmssl_ext.utils.config import fp32_without_cuda

__all__ = ['BudgetPreset', 'PRESETS', 'apply_preset', 'find_type']

#: Number of CIFAR-10 training images (epochs <-> iterations for the ``gpu`` preset).
CIFAR10_TRAIN = 50000
#: Scheduler fields that count epochs (rescaled to iterations with ``begin`` / ``end``).
_LENGTH_KEYS = ('begin', 'end', 'T_max', 'warmup', 'total')
#: Epoch-counted delays inside a model (MoCHi's mixing, batch curation's warm-up) and the iteration-counted
#: field that replaces each in the budget's iteration loop (where the epoch stays 0).
_DELAY_KEYS = {'start_epoch': 'start_iter', 'warmup_epochs': 'warmup_iters'}


@dataclass(frozen=True)
class BudgetPreset:
    """One compute budget.

    Args:
        name (str): Preset name.
        iters (int): Training iterations. Defaults to 390 (2 CIFAR-10 epochs at batch 256).
        batch_size (int): Training batch. Defaults to 256.
        width (int): ResNet ``stem_channels`` and ``base_channels`` (64 is the full ResNet-18). Defaults to 16.
        vit (dict): ViT overrides (``arch``, ``patch_size``) for ViT backbones. Defaults to a 6-block, 128-wide
            ViT with 4 x 4 patches.
        workers (int): Training dataloader workers. Defaults to 1.
        eval_bank (int): Class-balanced train images in the final kNN bank and linear-probe train set.
            Defaults to 10000.
        eval_query (int): Test images of the final evaluation. Defaults to 10000.
        curve_points (int): kNN evaluations during training (plus one at initialisation). Defaults to 4.
        curve_size (int): Bank and query images of the in-training kNN curve. Defaults to 2000.
        probe_epochs (int): Linear-probe epochs on the cached features. Defaults to 100.
        digits (bool): Train and evaluate on the embedded digits dataset (the smoke test). Defaults to False.
    """

    name: str
    iters: int = 390
    batch_size: int = 256
    width: int = 16
    vit: Dict[str, Any] = field(
        default_factory=lambda: dict(
            arch=dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512), patch_size=4
        )
    )
    workers: int = 1
    eval_bank: int = 10000
    eval_query: int = 10000
    curve_points: int = 4
    curve_size: int = 2000
    probe_epochs: int = 100
    digits: bool = False


PRESETS: Dict[str, BudgetPreset] = {
    # 2-core CPU: ResNet-18 (CIFAR stem) at width 16 (a 128-d feature), 2 epochs of CIFAR-10 at batch 256.
    'cpu-small': BudgetPreset('cpu-small'),
    # One GPU: full-width ResNet-18, batch 512; iterations come from --epochs.
    'gpu': BudgetPreset(
        'gpu',
        iters=0,
        batch_size=512,
        width=64,
        vit=dict(patch_size=None),
        workers=8,
        curve_points=8,
        curve_size=10000,
    ),
    # The default suite's smoke test: 2 iterations on the embedded digits data.
    'smoke': BudgetPreset(
        'smoke',
        iters=2,
        batch_size=16,
        workers=0,
        eval_bank=64,
        eval_query=64,
        curve_points=1,
        curve_size=32,
        probe_epochs=2,
        digits=True,
    ),
}


def _rescale_schedulers(cfg: Config, iters: int) -> None:
    """Turn epoch-based schedulers into iteration-based ones over ``iters`` iterations, same shares."""
    loop = cfg.train_cfg
    if 'max_epochs' in loop:
        epochs = loop['max_epochs']
    elif 'max_iters' in loop:
        epochs = loop['max_iters']  # already iteration-based: rescale iterations to iterations
    else:
        raise KeyError(f'train_cfg needs max_epochs or max_iters, got {dict(loop)}')
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    rescaled = []
    for sched in schedulers:
        sched = ConfigDict(copy.deepcopy(dict(sched)))
        for key in _LENGTH_KEYS:
            if key in sched and sched[key] is not None:
                sched[key] = max(0 if key == 'begin' else 1, round(sched[key] * iters / epochs))
        sched.by_epoch = False
        sched.pop('convert_to_iter_based', None)
        rescaled.append(sched)
    cfg.param_scheduler = rescaled
    cfg.train_cfg = ConfigDict(type='ResumableIterBasedTrainLoop', max_iters=iters, val_interval=max(iters, 1))
    if 'max_epochs' in loop:
        _rescale_delays(cfg.model, iters / epochs)


def _rescale_delays(node: Any, iters_per_epoch: float) -> None:
    """Replace every epoch-counted delay in ``node`` by the iteration-counted one at the same share of the run."""
    if isinstance(node, (list, tuple)):
        for child in node:
            _rescale_delays(child, iters_per_epoch)
        return
    if not isinstance(node, dict):
        return
    for key, new_key in _DELAY_KEYS.items():
        if node.get(key):
            node[new_key] = max(node.get(new_key) or 0, round(node[key] * iters_per_epoch))
            node[key] = 0
    for child in node.values():
        _rescale_delays(child, iters_per_epoch)


def _shrink_backbone(cfg: Config, preset: BudgetPreset) -> None:
    """Set the ResNet width (and the neck / head input that follows it) or the ViT size."""
    model = cfg.model
    backbone = model.backbone
    if 'depth' in backbone:  # ResNet family: output channels = base_channels * 8 (BasicBlock)
        full = 64 * 8
        backbone.update(stem_channels=preset.width, base_channels=preset.width)
        new = preset.width * 8
    else:  # ViT
        vit = {k: v for k, v in preset.vit.items() if v is not None}
        if not vit:
            return
        old_arch = backbone.get('arch')
        full = {'deit-tiny': 192, 'deit-small': 384, 'small': 384, 'deit-base': 768, 'base': 768}.get(old_arch)
        backbone.update(vit)
        new = vit['arch']['embed_dims'] if 'arch' in vit else full
        if 'patch_size' in vit:
            img = backbone.get('img_size', 32)
            for sampler in find_type(cfg.get('train_dataloader'), 'APSPatchSampler'):
                sampler.update(img_size=img, patch_size=vit['patch_size'])
    for part in ('neck', 'head'):
        sub = model.get(part)
        if isinstance(sub, dict) and sub.get('in_channels') == full:
            sub.in_channels = new


def find_type(node: Any, kind: str) -> list:
    """Every dict of type ``kind`` in a nested config."""
    if isinstance(node, (list, tuple)):
        return [t for n in node for t in find_type(n, kind)]
    if not isinstance(node, dict):
        return []
    return ([node] if node.get('type') == kind else []) + [t for v in node.values() for t in find_type(v, kind)]


def apply_preset(cfg: Config, preset: BudgetPreset, seed: int, work_dir: str, iters: Optional[int] = None) -> Config:
    """Return a copy of ``cfg`` that trains under ``preset``.

    Args:
        cfg (Config): Method config (not modified).
        preset (BudgetPreset): The budget.
        seed (int): Random seed of the run.
        work_dir (str): Log and checkpoint directory.
        iters (int, optional): Iterations, overriding the preset's (the ``gpu`` preset's ``--epochs``).
            Defaults to None.

    Returns:
        Config: The budget config. Its ``budget`` entry records the learning-rate scaling.
    """
    cfg = copy.deepcopy(cfg)
    iters = iters or preset.iters
    if iters < 1:
        raise ValueError(f'preset {preset.name!r}: iterations must be >= 1, got {iters} (give --epochs)')
    _shrink_backbone(cfg, preset)
    _rescale_schedulers(cfg, iters)
    base_bs = (cfg.get('auto_scale_lr') or {}).get('base_batch_size', cfg.train_dataloader.batch_size)
    cfg.auto_scale_lr = dict(base_batch_size=base_bs, enable=True)
    loader = cfg.train_dataloader
    loader.update(batch_size=preset.batch_size, num_workers=preset.workers, persistent_workers=preset.workers > 0)
    for key in ('knn_bank_dataloader', 'knn_query_dataloader'):
        if cfg.get(key) is not None:
            cfg[key].update(num_workers=preset.workers, persistent_workers=False)
    if preset.digits:
        for key, split in DATALOADER_KEYS.items():
            if cfg.get(key) is not None:
                size = iters * preset.batch_size if split == 'train' else preset.eval_bank
                cfg[key] = digits_loader(cfg[key], split, size, cfg[key].get('batch_size', 64), 32)
        cfg.train_dataloader.batch_size = preset.batch_size
    fp32_without_cuda(cfg)  # AMP configs train in fp32 on a CPU
    interval = max(1, iters // preset.curve_points)
    # The curve is the hook's (a subset bank, before the first step too); the recipes' kNN validation loop is off
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg', 'test_dataloader', 'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) or [] if h.get('type') != 'KNNEvalHook']
    cfg.custom_hooks.append(
        dict(
            type='KNNEvalHook',
            bank_dataloader=cfg.knn_bank_dataloader,
            query_dataloader=cfg.knn_query_dataloader,
            by_epoch=False,
            interval=interval,
            k=min(200, preset.curve_size),  # the smoke preset's bank is smaller than 200
            temperature=0.1,
            evaluate_before_train=True,
            bank_size=preset.curve_size,
            query_size=preset.curve_size,
        )
    )
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=iters, max_keep_ckpts=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=min(10, iters))
    cfg.log_processor = dict(window_size=10, by_epoch=False)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.sync_bn = None
    cfg.launcher = 'none'
    cfg.work_dir = work_dir
    cfg.budget = dict(preset=preset.name, iters=iters, batch_size=preset.batch_size, base_batch_size=base_bs)
    return cfg
