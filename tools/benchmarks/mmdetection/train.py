# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Transfer a pre-trained backbone to COCO detection / instance segmentation with mmdet: train, then test.

``python tools/benchmarks/mmdetection/train.py MMDET_CONFIG PRETRAIN [options]`` (one process), or
``bash tools/benchmarks/mmdetection/dist_train.sh MMDET_CONFIG PRETRAIN NGPUS [options]``.

``PRETRAIN`` is a full mmssl_ext checkpoint (its ``backbone.*`` weights are used), an extracted backbone file
(``tools/model_converters/extract_backbone_weights.py``), any path or URL MMEngine loads, or ``random`` for the
randomly initialised baseline. Every ``CheckedPretrained`` (or ``Pretrained``) init config of the model whose
``checkpoint`` is empty (the backbone; for C4 detectors also ``roi_head.shared_head``, which holds res5) is pointed
at it, and loads with key checks (a checkpoint that does not fit the backbone fails with the keys listed). After
training, the test split is evaluated; the metrics (``coco/bbox_mAP``, ``coco/segm_mAP``, ...) are printed and
written to ``WORK_DIR/transfer_metrics.json``.
"""

import argparse
import json
import logging
import os
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.logging import print_log

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, ROOT)
from mmssl_ext.engine.runner import build_runner  # noqa: E402
from mmssl_ext.utils import register_all_modules, setup_cpu_distributed  # noqa: E402
from mmssl_ext.utils.config import (  # noqa: E402
    drop_init_cfg,
    fp32_without_cuda,
    load_config,
    pretrained_init_cfgs,
)
from tools.train import merge_args  # noqa: E402

__all__ = ['build_transfer_config', 'main', 'run_transfer', 'set_data_root', 'set_img_scale', 'set_pretrained']

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_EVALUATORS = ('val_evaluator', 'test_evaluator')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train and test an mmdet transfer config from a pre-trained backbone')
    parser.add_argument('config', help='mmdet transfer config (configs/benchmarks/mmdetection/...)')
    parser.add_argument('pretrain', help="pre-trained checkpoint (full or backbone-only), or 'random'")
    parser.add_argument('--work-dir', help='default: work_dirs/benchmarks/mmdetection/CONFIG/PRETRAIN_NAME')
    parser.add_argument('--data-root', help="COCO root (annotations/, train2017/, val2017/); default: the config's")
    parser.add_argument(
        '--img-scale',
        nargs=2,
        type=int,
        metavar=('W', 'H'),
        help='one (W, H) scale for every resize of train/val/test (no multi-scale): quick CPU runs',
    )
    parser.add_argument('--no-test', action='store_true', help='train only (skip the final test)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto', help='resume (the latest checkpoint by default)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the lr to the actual global batch')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    # what tools/train.merge_args reads
    args.no_validate = False
    args.no_pin_memory = False
    args.no_persistent_workers = False
    return args


def set_pretrained(cfg: Config, pretrain: str) -> List[str]:
    """Point every ``CheckedPretrained`` / ``Pretrained`` init config with an empty ``checkpoint`` at ``pretrain``.

    With ``pretrain='random'`` those init configs are dropped instead (the random-initialisation baseline).

    Args:
        cfg (Config): The transfer config (changed in place).
        pretrain (str): Checkpoint path / URL, or ``'random'``.

    Returns:
        list[str]: The init configs that were set (dotted paths).

    Raises:
        FileNotFoundError: ``pretrain`` is a local path that does not exist.
        ValueError: The config has no ``CheckedPretrained`` / ``Pretrained`` init config with an empty checkpoint.
    """
    targets = [
        (path, parent, init) for path, parent, init in pretrained_init_cfgs(cfg.model) if not init.get('checkpoint')
    ]
    if pretrain == 'random':
        for _, parent, init in targets:
            drop_init_cfg(parent, init)
        return [path for path, _, _ in targets]
    if '://' not in pretrain and not osp.isfile(pretrain):
        raise FileNotFoundError(f'pre-trained checkpoint not found: {pretrain}')
    if not targets:
        raise ValueError(
            f"{cfg.filename}: no init_cfg=dict(type='Pretrained', checkpoint='') placeholder to point at "
            f'{pretrain} '
            '(set model.backbone.init_cfg yourself with --cfg-options).'
        )
    for _, _, init in targets:
        init['checkpoint'] = pretrain
    return [path for path, _, _ in targets]


def _datasets(loader: Any) -> List[dict]:
    """The dataset dicts of a loader, through dataset wrappers."""
    out, stack = [], [loader.get('dataset')] if isinstance(loader, dict) else []
    while stack:
        ds = stack.pop()
        if not isinstance(ds, dict):
            continue
        if 'dataset' in ds:
            stack.append(ds['dataset'])
        elif 'datasets' in ds:
            stack.extend(ds['datasets'])
        else:
            out.append(ds)
    return out


def set_data_root(cfg: Config, data_root: str) -> None:
    """Move every dataset and COCO evaluator annotation file of ``cfg`` to ``data_root``.

    Args:
        cfg (Config): The config (changed in place).
        data_root (str): The new COCO root.
    """
    data_root = data_root.rstrip('/') + '/'
    old_roots = set()
    for name in _LOADERS:
        for ds in _datasets(cfg.get(name)):
            if ds.get('data_root'):
                old_roots.add(ds['data_root'])
            ds['data_root'] = data_root
    for name in _EVALUATORS:
        evaluator = cfg.get(name)
        for ev in evaluator if isinstance(evaluator, list) else [evaluator]:
            if not isinstance(ev, dict) or not ev.get('ann_file'):
                continue
            for old in sorted(old_roots, key=len, reverse=True):
                if ev['ann_file'].startswith(old):
                    ev['ann_file'] = data_root + ev['ann_file'][len(old) :]
                    break


def set_img_scale(cfg: Config, scale: Sequence[int]) -> None:
    """Give every ``Resize`` / ``RandomResize`` / ``RandomChoiceResize`` of the loaders the single ``scale``.

    Args:
        cfg (Config): The config (changed in place).
        scale (Sequence[int]): ``(W, H)``.
    """
    scale = tuple(int(s) for s in scale)
    for name in _LOADERS:
        for ds in _datasets(cfg.get(name)):
            for t in ds.get('pipeline', []):
                kind = str(t.get('type', '')).split('.')[-1]
                if kind == 'RandomChoiceResize':
                    t['scales'] = [scale]
                elif kind == 'Resize':
                    t['scale'] = scale
                elif kind == 'RandomResize':
                    t.update(scale=scale, ratio_range=(1.0, 1.0))


def build_transfer_config(args: argparse.Namespace) -> Config:
    """The transfer config of the command line: pre-trained weights, data root, scale, work dir, switches.

    Args:
        args (argparse.Namespace): From :func:`parse_args`.

    Returns:
        Config: The config to run.
    """
    cfg = load_config(args.config, args.cfg_options)
    set_pretrained(cfg, args.pretrain)
    if args.data_root:
        set_data_root(cfg, args.data_root)
    if args.img_scale:
        set_img_scale(cfg, args.img_scale)
    if args.work_dir is None:
        stem = 'random' if args.pretrain == 'random' else osp.splitext(osp.basename(args.pretrain))[0]
        name = osp.splitext(osp.basename(args.config))[0]
        args.work_dir = osp.join('work_dirs', 'benchmarks', 'mmdetection', name, stem)
    cfg = merge_args(cfg, args)
    if fp32_without_cuda(cfg):
        print_log('no CUDA device: AmpOptimWrapper -> OptimWrapper (fp32)', logger='current', level=logging.WARNING)
    return cfg


def run_transfer(cfg: Config, test: bool = True) -> Dict[str, float]:
    """Train ``cfg``, then (``test``) evaluate its test split; writes ``transfer_metrics.json`` in the work dir.

    Args:
        cfg (Config): A config from :func:`build_transfer_config`.
        test (bool): Evaluate the test split after training. Defaults to True.

    Returns:
        dict[str, float]: The test metrics (the last validation metrics without ``test``).
    """
    setup_cpu_distributed(cfg, cfg.get('launcher', 'none'))
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test() if test and cfg.get('test_dataloader') is not None else {}
    metrics = {k: float(v) for k, v in (metrics or {}).items() if isinstance(v, (int, float))}
    if test and not metrics:
        print_log(
            'the test produced no COCO metrics: the detector kept no detection above its score threshold (mmdet '
            'then skips the evaluation). A barely trained detector needs e.g. '
            '--cfg-options model.test_cfg.rcnn.score_thr=0.0 to be evaluated.',
            logger='current',
            level=logging.WARNING,
        )
    if is_main_process():
        with open(osp.join(cfg.work_dir, 'transfer_metrics.json'), 'w') as f:
            json.dump(dict(config=cfg.filename, metrics=metrics), f, indent=2)
        print('transfer metrics: ' + ', '.join(f'{k}={v:.4f}' for k, v in metrics.items()))
    return metrics


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    """Entry point; returns the test metrics."""
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = build_transfer_config(args)
    return run_transfer(cfg, test=not args.no_test)


if __name__ == '__main__':
    main()
