# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Shrink any config to a few CPU iterations on the embedded digits dataset."""

import copy
from typing import Any, List, Optional, cast

from mmengine.config import Config, ConfigDict

from mmssl_ext.utils.config import drop_init_cfg, fp32_without_cuda, pretrained_init_cfgs

__all__ = ['DATALOADER_KEYS', 'digits_loader', 'make_smoke_config']

#: Top-level dataloaders that are swapped to the digits dataset (train-like ones use the train split).
DATALOADER_KEYS = {
    'train_dataloader': 'train',
    'val_dataloader': 'test',
    'test_dataloader': 'test',
    'knn_bank_dataloader': 'train',
    'knn_query_dataloader': 'test',
}
_SIZE_KEYS = ('scale', 'crop_size', 'size')


def _crop_sizes(node: Any) -> List[int]:
    """Every crop/resize size (largest side) in a (nested) pipeline."""
    if isinstance(node, (list, tuple)):
        return [size for n in node for size in _crop_sizes(n)]
    if not isinstance(node, dict):
        return []
    kind = str(node.get('type', ''))
    sizes = []
    if 'Crop' in kind or 'Resize' in kind:
        for key in _SIZE_KEYS:
            value = node.get(key)
            if isinstance(value, (int, float)):
                sizes.append(int(value))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) for v in value):
                sizes.append(int(max(value)))
    for value in node.values():
        if isinstance(value, (list, tuple, dict)):
            sizes.extend(_crop_sizes(value))
    return sizes


def _shrink_pipeline(node: Any, img_size: int, largest: Optional[int] = None) -> Any:
    """Scale every crop/resize size of a (nested) pipeline so that the largest becomes ``img_size``.

    Multi-crop pipelines (CLSA's 224/192/.../96 crops) keep their relative sizes (at least 4 px), so
    algorithms that group views by size still see several sizes.
    """
    if largest is None:
        largest = max(_crop_sizes(node), default=img_size)

    def scaled(value: Any) -> int:
        return max(4, round(float(value) * img_size / largest))

    if isinstance(node, (list, tuple)):
        return type(node)(_shrink_pipeline(n, img_size, largest) for n in node)
    if isinstance(node, dict):
        node = copy.copy(node)
        kind = str(node.get('type', ''))
        if 'Crop' in kind or 'Resize' in kind:
            for key in _SIZE_KEYS:
                if key in node and node[key] is not None:
                    value = node[key]
                    node[key] = (scaled(max(value)),) * 2 if isinstance(value, (list, tuple)) else scaled(value)
        for key, value in node.items():
            if isinstance(value, (list, tuple, dict)):
                node[key] = _shrink_pipeline(value, img_size, largest)
        return node
    return node


def _digits_dataset(dataset: dict, split: str, num_samples: int, img_size: int) -> ConfigDict:
    """A digits dataset config with ``dataset``'s pipeline (looked up through wrappers), shrunk to ``img_size``."""
    while 'dataset' in dataset and 'pipeline' not in dataset:  # dataset wrappers
        dataset = dataset['dataset']
    pipeline = _shrink_pipeline(list(dataset.get('pipeline', [])), img_size)
    return ConfigDict(type='DigitsDataset', split=split, img_size=img_size, pipeline=pipeline, indices=num_samples)


def digits_loader(loader: dict, split: str, num_samples: int, batch_size: int, img_size: int) -> ConfigDict:
    """A copy of ``loader`` reading ``num_samples`` digits images through the original pipeline.

    A ``KNNEvalDataset`` (a validation / test loop's kNN set) keeps its type; its bank reads the digits train split
    and its queries the test split, ``num_samples`` each.
    """
    dataset = loader['dataset']
    new = ConfigDict(copy.deepcopy(dict(loader)))
    new.update(batch_size=batch_size, num_workers=0, persistent_workers=False, pin_memory=False)
    if dataset.get('type') == 'KNNEvalDataset':
        new.dataset.update(
            bank=_digits_dataset(dataset['bank'], 'train', num_samples, img_size),
            query=_digits_dataset(dataset['query'], 'test', num_samples, img_size),
            bank_size=None,
            query_size=None,
        )
    else:
        new.dataset = _digits_dataset(dataset, split, num_samples, img_size)
    return new


def make_smoke_config(
    cfg: Config,
    iters: int = 2,
    batch_size: int = 8,
    img_size: int = 32,
    work_dir: Optional[str] = None,
    checkpoint: Optional[str] = None,
) -> Config:
    """Return a copy of ``cfg`` that trains ``iters`` iterations on the digits dataset on the CPU.

    Keeps the model, transforms, optimizer, schedulers and hooks; swaps every dataloader (also the
    ones inside ``custom_hooks``) to :class:`mmssl_ext.datasets.DigitsDataset` at ``img_size`` with
    ``batch_size``, runs one epoch of ``iters`` iterations (validation included), shrinks queues to
    ``4 * batch_size``, drops ``Pretrained`` weights unless ``checkpoint`` is given, gives ViT backbones (and
    :class:`APSPatchSampler`) ``img_size`` and a patch size that makes a 4 x 4 to 8 x 8 token grid (the same code
    paths at a fraction of the cost) and, without CUDA, trains ``AmpOptimWrapper`` configs with a plain ``OptimWrapper``
    (mmengine's AMP wrapper needs a GPU).

    Args:
        cfg (Config): The config to shrink (not modified).
        iters (int): Training iterations. Defaults to 2.
        batch_size (int): Samples per batch. Defaults to 8.
        img_size (int): Square input side. Defaults to 32.
        work_dir (str, optional): Where to write logs. Defaults to None.
        checkpoint (str, optional): Checkpoint for ``Pretrained`` init configs. Defaults to None.

    Returns:
        Config: The shrunk config.
    """
    cfg = copy.deepcopy(cfg)
    n_train = iters * batch_size
    for key, split in DATALOADER_KEYS.items():
        if cfg.get(key) is not None:
            cfg[key] = digits_loader(
                cfg[key], split, n_train if split == 'train' else 2 * batch_size, batch_size, img_size
            )
    for hook in cfg.get('custom_hooks', []) or []:
        for key in ('bank_dataloader', 'query_dataloader'):
            if key in hook:
                split = 'train' if key == 'bank_dataloader' else 'test'
                hook[key] = digits_loader(hook[key], split, 2 * batch_size, batch_size, img_size)
        if hook.get('type') == 'KNNEvalHook':  # the digits bank has 2 x batch_size images: k must fit in it
            hook.update(interval=1, evaluate_before_train=False, k=min(hook.get('k', 200), 2 * batch_size))
    for key in ('val_evaluator', 'test_evaluator'):  # the digits kNN bank has 2 x batch_size images
        evaluators = cfg.get(key)
        for metric in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
            if isinstance(metric, dict) and metric.get('type') in ('KNNMetric', 'KNNAccuracy'):
                metric['k'] = min(metric.get('k', 200), 2 * batch_size)
    loop = cfg.get('train_cfg') or {}
    if 'max_iters' in loop:
        loop.update(max_iters=iters, val_interval=iters)
    else:
        loop.update(max_epochs=1, val_interval=1)
    model = cfg.model  # a ConfigDict, as are the dicts nested in it (hence the casts)
    if 'queue_len' in model:
        model.queue_len = 4 * batch_size
        mixer = model.get('mixer')
        if isinstance(mixer, dict) and mixer.get('num_hard', 0) > model.queue_len:
            cast(ConfigDict, mixer).num_hard = model.queue_len  # MoCHi draws its hardest negatives from the queue
    curator = model.get('curator')
    if isinstance(curator, dict):
        if curator.get('select_num'):
            cast(ConfigDict, curator).select_num = max(2, batch_size // 2)  # oversampling keeps half the loaded batch
        if curator.get('min_kept', 0) > batch_size:
            cast(ConfigDict, curator).min_kept = batch_size
    _set_pretrained(model, checkpoint)
    _shrink_token_grid(cfg, img_size)
    fp32_without_cuda(cfg)
    cfg.default_hooks = cfg.get('default_hooks') or ConfigDict()
    cfg.default_hooks.setdefault('logger', dict(type='LoggerHook'))['interval'] = 1
    cfg.default_hooks.setdefault('checkpoint', dict(type='CheckpointHook'))
    cfg.default_hooks.checkpoint.update(interval=1, by_epoch='max_iters' not in loop, max_keep_ckpts=1)
    cfg.default_hooks.checkpoint.pop('save_best', None)
    if cfg.get('auto_scale_lr'):
        cfg.auto_scale_lr.enable = False
    cfg.randomness = dict(seed=0)
    cfg.launcher = 'none'
    if work_dir is not None:
        cfg.work_dir = work_dir
    return cfg


def _find_transforms(node: Any, kind: str) -> List[dict]:
    """Every transform dict of type ``kind`` in a (nested) pipeline or config."""
    if isinstance(node, (list, tuple)):
        return [t for n in node for t in _find_transforms(n, kind)]
    if not isinstance(node, dict):
        return []
    found = [node] if node.get('type') == kind else []
    return found + [t for value in node.values() for t in _find_transforms(value, kind)]


def _shrink_token_grid(cfg: Config, img_size: int) -> None:
    """Give ViT configs (and the APS token sampler) an ``img_size`` input with a 4 x 4 to 8 x 8 token grid."""
    samplers = _find_transforms(cfg.get('train_dataloader'), 'APSPatchSampler')
    backbone = cfg.model.get('backbone') or {}
    if not samplers and 'patch_size' not in backbone:
        return
    patch = int(backbone.get('patch_size') or samplers[0].get('patch_size', 16))
    if not 4 <= img_size // patch <= 8 or img_size % patch:
        patch = max(1, img_size // 8)
    for sampler in samplers:
        sampler.update(img_size=img_size, patch_size=patch)
    if 'patch_size' in backbone:
        backbone.update(img_size=img_size, patch_size=patch)


def _set_pretrained(model: Any, checkpoint: Optional[str]) -> None:
    """Point (or, without ``checkpoint``, drop) every ``Pretrained`` init config of ``model``."""
    for _, parent, init in pretrained_init_cfgs(model):
        if checkpoint is not None:
            init['checkpoint'] = checkpoint
        else:
            drop_init_cfg(parent, init)
