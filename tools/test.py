# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]`` (mmpretrain's CLI).

For any config with a test loop: linear probes and classifiers (``accuracy/top1``), mmdet transfer (COCO
mAP) and the CIFAR pre-training configs, whose ``KNNTestLoop`` + ``KNNMetric`` report the weighted kNN of the
checkpoint's backbone (``knn/top1``, ``knn/top5``; k=200, T=0.1, the train split as the bank). A pre-training
config without a test loop (the digits demo, an unlabelled image folder) is pointed to
``tools/analysis_tools/knn_eval.py CONFIG CHECKPOINT``.
"""

import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmssl_ext.engine.runner import build_runner  # noqa: E402
from mmssl_ext.utils import register_all_modules, setup_cpu_distributed  # noqa: E402
from mmssl_ext.utils.config import load_config  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Test (evaluate) a model with mmssl_ext')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the evaluation log')
    parser.add_argument('--out', help='dump the metrics to this .json/.pkl file')
    parser.add_argument('--amp', action='store_true', help='test with automatic mixed precision')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    """Build the runner and test; returns the metrics."""
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options)
    if cfg.get('test_dataloader') is None or cfg.get('test_evaluator') is None:
        raise SystemExit(
            f'{args.config} has no test_dataloader/test_evaluator (a self-supervised pre-training '
            'config?). Evaluate its backbone with: python tools/analysis_tools/knn_eval.py '
            f'{args.config} {args.checkpoint}'
        )
    cfg.work_dir = (
        args.work_dir or cfg.get('work_dir') or osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    cfg.load_from = args.checkpoint
    cfg.launcher = args.launcher
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.out:
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(cfg.test_evaluator, dict) else cfg.test_evaluator
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    return runner.test()


if __name__ == '__main__':
    main()
