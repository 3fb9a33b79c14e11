# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Budget benchmark: train each method under one preset, several seeds, and evaluate every run alike.

``python tools/benchmarks/budget/run.py --preset cpu-small --methods simclr mocov2 --seeds 0 1``

Each (method, seed) trains in a fresh process from the method's CIFAR-10 config changed only in its budget
(see ``presets.py``), then the final checkpoint is evaluated by weighted kNN (k=200, T=0.1) on a class-balanced
10,000-image train bank against the 10,000 test images and by a linear probe on the frozen features. One JSON
per run lands in ``--out-dir`` (``<preset>/<method>_seed<k>.json``); runs whose JSON exists are skipped, so the
benchmark resumes. Random initialisation of each backbone family is a row of its own (``random-resnet``,
``random-vit``). ``report.py`` turns the JSONs into the table and plots of ``docs/benchmarks.md``.
"""

import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import DictAction

_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tools.benchmarks.budget.methods import METHODS, RANDOM  # noqa: E402
from tools.benchmarks.budget.presets import CIFAR10_TRAIN, PRESETS  # noqa: E402

__all__ = ['main', 'run_one', 'result_path']

#: The config whose budget backbone is the random row of each family.
_FAMILY_CONFIG = {'resnet': 'simclr', 'vit': 'aps'}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Multi-seed budget benchmark of the pre-training methods')
    parser.add_argument('--preset', default='cpu-small', choices=sorted(PRESETS), help='budget (default cpu-small)')
    parser.add_argument(
        '--methods', nargs='+', default=None, help=f'methods to run (default all): {", ".join(METHODS)}'
    )
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=None, help="seeds (default: each method's own count, from 0)"
    )
    parser.add_argument('--epochs', type=float, help='CIFAR-10 epochs of the run (needed by the gpu preset)')
    parser.add_argument('--out-dir', default='bench/results/budget', help='JSON directory (default %(default)s)')
    parser.add_argument('--work-dir', default='work_dirs/budget', help='logs and checkpoints (default %(default)s)')
    parser.add_argument('--threads', type=int, default=2, help='torch CPU threads per run (default 2)')
    parser.add_argument('--no-random', action='store_true', help='skip the random-initialisation rows')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='diagnostic override of the method config (needs --tag; the row is named METHOD@TAG)',
    )
    parser.add_argument('--tag', help='name of a diagnostic variant (with --cfg-options)')
    parser.add_argument('--one', nargs=2, metavar=('METHOD', 'SEED'), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def result_path(out_dir: str, preset: str, name: str, seed: int) -> str:
    """Where the JSON of one run lives."""
    return osp.join(out_dir, preset, f'{name}_seed{seed}.json')


def _iters(args: argparse.Namespace) -> Optional[int]:
    """Iterations from ``--epochs`` (``None``: the preset's own)."""
    if args.epochs is None:
        return None
    return max(1, round(args.epochs * CIFAR10_TRAIN / PRESETS[args.preset].batch_size))


def run_one(args: argparse.Namespace, name: str, seed: int) -> Dict:
    """Train (unless ``name`` is a random row) and evaluate one run; write and return its JSON record."""
    import torch
    from mmengine.config import Config

    from mmssl_ext.engine.runner import build_runner
    from mmssl_ext.utils import register_all_modules
    from tools.benchmarks.budget.evaluate import evaluate_backbone, read_curve
    from tools.benchmarks.budget.presets import apply_preset

    torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=True)
    preset = PRESETS[args.preset]
    is_random = name.startswith(RANDOM + '-')
    method = METHODS[_FAMILY_CONFIG[name.split('-', 1)[1]] if is_random else name]
    if args.tag:
        name = f'{name}@{args.tag}'
    work_dir = osp.abspath(osp.join(args.work_dir, preset.name, f'{name}_seed{seed}'))
    os.makedirs(work_dir, exist_ok=True)
    source = Config.fromfile(osp.join(_ROOT, method.config))
    if args.cfg_options:
        source.merge_from_dict(args.cfg_options)
    cfg = apply_preset(source, preset, seed, work_dir, _iters(args))
    cfg_file = osp.join(work_dir, 'budget_config.py')
    cfg.dump(cfg_file)
    record: Dict = dict(
        method=name,
        config=method.config,
        preset=preset.name,
        seed=seed,
        iters=cfg.budget['iters'],
        batch_size=cfg.budget['batch_size'],
        lr_scale=cfg.budget['batch_size'] / cfg.budget['base_batch_size'],
        threads=args.threads,
        torch=torch.__version__,
        cfg_options=args.cfg_options or None,
        device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else f'CPU ({os.cpu_count()} cores)',
    )
    start = time.time()
    checkpoint = 'random'
    if not is_random:
        runner = build_runner(cfg)
        runner.train()
        record['train_s'] = round(time.time() - start, 1)
        checkpoint = osp.join(work_dir, f'iter_{cfg.budget["iters"]}.pth')
        curve = read_curve(osp.join(runner.log_dir, 'vis_data', 'scalars.json'))
        times = curve.pop('time')
        times = sorted(times[1:] or times)  # the first logged window holds the start-up
        median = times[len(times) // 2] if times else None
        record['s_per_iter'] = round(median, 3) if median else None
        record['img_per_s'] = round(cfg.budget['batch_size'] / median, 1) if median else None
        record['final_loss'] = curve['loss'][-1][1] if curve['loss'] else None
        record['curve'] = curve
    eval_start = time.time()
    record.update(
        evaluate_backbone(cfg_file, checkpoint, preset.eval_bank, preset.eval_query, preset.probe_epochs, seed=seed)
    )
    record['eval_s'] = round(time.time() - eval_start, 1)
    record['wall_s'] = round(time.time() - start, 1)
    out = result_path(args.out_dir, preset.name, name, seed)
    os.makedirs(osp.dirname(out), exist_ok=True)
    with open(out + '.tmp', 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(out + '.tmp', out)
    return record


def main(argv: Optional[List[str]] = None) -> int:
    """Run every missing (method, seed) in its own process; return the number of failed runs."""
    args = parse_args(argv)
    if args.one:
        record = run_one(args, args.one[0], int(args.one[1]))
        print(json.dumps({k: v for k, v in record.items() if k != 'curve'}))
        return 0
    if bool(args.tag) != bool(args.cfg_options):
        raise SystemExit('--tag and --cfg-options go together: a changed config is a diagnostic row METHOD@TAG')
    names = args.methods or list(METHODS)
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        raise SystemExit(f'--methods: unknown {unknown}; choose from {list(METHODS)}')
    jobs = []
    if not args.no_random and not args.tag:
        for family in dict.fromkeys(METHODS[n].family for n in names):
            seeds = args.seeds or range(max(METHODS[n].seeds for n in names if METHODS[n].family == family))
            jobs += [(f'{RANDOM}-{family}', s) for s in seeds]
    for name in names:
        jobs += [(name, s) for s in (args.seeds if args.seeds is not None else range(METHODS[name].seeds))]
    failed = 0
    for name, seed in jobs:
        out = result_path(args.out_dir, args.preset, f'{name}@{args.tag}' if args.tag else name, seed)
        if osp.exists(out):
            print(f'[budget] {name} seed {seed}: done ({out})')
            continue
        print(f'[budget] {name} seed {seed}: running', flush=True)
        child = [sys.executable, osp.abspath(__file__), '--one', name, str(seed)]
        for flag in ('preset', 'out_dir', 'work_dir', 'threads', 'epochs', 'tag'):
            value = getattr(args, flag)
            if value is not None:
                child += [f'--{flag.replace("_", "-")}', str(value)]
        if args.cfg_options:
            child += ['--cfg-options'] + [f'{k}={v}' for k, v in args.cfg_options.items()]
        code = subprocess.call(child, cwd=_ROOT)
        if code != 0:
            failed += 1
            print(f'[budget] {name} seed {seed}: FAILED (exit {code})', flush=True)
    return failed


if __name__ == '__main__':
    sys.exit(main())
