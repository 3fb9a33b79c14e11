# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Images/s of the full training step: our SimCLR and MoCo v2 against mmpretrain's own, plus CLSA and SupCon.

For each method the model, view pipeline and data preprocessor come from our CIFAR-10 config (ResNet-18, CIFAR stem,
32x32); mmpretrain's counterpart (``mmpretrain.SimCLR`` / ``mmpretrain.MoCo`` with ``ContrastiveHead`` and the same
temperature) gets the identical backbone, neck, batch, input and optimiser (SGD 0.03, momentum 0.9, wd 5e-4), built
from the same seed. One process, SyncBN reverted to BN as the Runner does for one process.

* data excluded: ``model.train_step`` on one fixed, already augmented batch;
* data included: every step first runs the view pipeline on ``batch`` fresh in-memory images (random uint8
  32x32, i.e. no JPEG decoding) and collates them: a loader with ``num_workers=0``.
* ``mmssl_ext fast`` (SimCLR, MoCo v2, CLSA): our model with the ``*-fastaug-*`` config's
  ``BatchAugDataPreprocessor``: the loader only packs each image once and every view is made inside
  ``train_step`` by the batched ops, so "data excluded" still includes the augmentation. The last column is its
  data-included figure over that of the per-image pipeline (``mmssl_ext``), and over ``mmssl_ext channels-last``:
  the per-image pipeline with the channels-last inputs the fast configs also set (on this CPU channels-last alone
  speeds up the ResNet), so that column is the augmentation's own effect.

Runs alternate (A B, B A, ...) after a warm-up round; each figure is the median over ``--repeats`` rounds of
``--steps`` steps. CLSA and SupCon have no mmpretrain counterpart: absolute figures and cost per view.

Usage::

    python bench/train_step.py                      # print the table (ResNet-18, batch 256: ~15 min on 2 cores)
    python bench/train_step.py --write              # and replace the table in docs/benchmarks.md
    python bench/train_step.py --smoke              # tiny sizes, one repeat (what the test suite runs)
"""

import argparse
import copy
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from bench.common import ROOT, alternating_medians, machine_line, timed, write_block  # noqa: E402

MARKER = 'bench/train_step.py'
CONFIGS = {
    'simclr': 'configs/simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py',
    'mocov2': 'configs/mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py',
    'clsa': 'configs/clsa/clsa_resnet18_1xb256-multi-coslr-1000e_cifar10.py',
    'supcon': 'configs/supcon/supcon_resnet18_1xb1024-coslr-1000e_cifar10.py',
}
FAST = {
    'simclr': 'configs/simclr/simclr_resnet18_1xb256-fastaug-lars-coslr-1000e_cifar10.py',
    'mocov2': 'configs/mocov2/mocov2_resnet18_1xb256-fastaug-coslr-1000e_cifar10.py',
    'clsa': 'configs/clsa/clsa_resnet18_1xb256-multi-fastaug-coslr-1000e_cifar10.py',
}
"""The same methods with the views made by BatchAugDataPreprocessor (row ``mmssl_ext fast``)."""
THEIRS = {
    'simclr': lambda m: dict(type='mmpretrain.SimCLR', head=_head(m), **_common(m)),
    'mocov2': lambda m: dict(
        type='mmpretrain.MoCo',
        queue_len=m['queue_len'],
        feat_dim=m['feat_dim'],
        momentum=m['momentum'],
        head=_head(m),
        **_common(m),
    ),
}


def _common(model: dict) -> dict:
    return dict(backbone=model['backbone'], neck=model['neck'], data_preprocessor=model.get('data_preprocessor'))


def _head(model: dict) -> dict:
    return dict(
        type='mmpretrain.ContrastiveHead',
        loss=dict(type='mmpretrain.CrossEntropyLoss'),
        temperature=model['loss']['temperature'],
    )


def _load(case: str, configs: Dict[str, str] = CONFIGS):
    from mmengine.config import Config

    cfg = Config.fromfile(osp.join(ROOT, configs[case]))
    model = copy.deepcopy(cfg.model.to_dict())
    if cfg.get('data_preprocessor') is not None:
        model.setdefault('data_preprocessor', cfg.data_preprocessor.to_dict())
    pipeline = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] != 'LoadImageFromFile']
    return model, pipeline


def _build(model_cfg: dict, seed: int = 0):
    from mmengine.model import revert_sync_batchnorm
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    from mmssl_ext.registry import MODELS

    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        model = revert_sync_batchnorm(MODELS.build(copy.deepcopy(model_cfg))).train()
        wrapper = build_optim_wrapper(
            model, dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=5e-4))
        )
    return model, wrapper


class _Batches:
    """Fresh augmented batches from in-memory images through a view pipeline (``num_workers=0``)."""

    def __init__(self, pipeline: List[dict], batch: int, size: int, seed: int = 0) -> None:
        from mmengine.dataset import Compose, default_collate
        from mmengine.registry import DefaultScope

        from mmssl_ext.registry import TRANSFORMS

        with DefaultScope.overwrite_default_scope('mmssl_ext'):
            self.compose = Compose([TRANSFORMS.build(t) for t in pipeline])
        self.collate = default_collate
        rng = np.random.default_rng(seed)
        self.images = rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8)
        self.labels = rng.integers(0, 10, batch)

    def __call__(self) -> dict:
        items = []
        for img, label in zip(self.images, self.labels):
            h, w = img.shape[:2]
            items.append(self.compose(dict(img=img, gt_label=int(label), img_shape=(h, w), ori_shape=(h, w))))
        return self.collate(items)


def _views(batch: dict) -> int:
    inputs = batch['inputs']
    return len(inputs) if isinstance(inputs, list) else 1


def measure(case: str, batch: int, size: int, steps: int, repeats: int, warmup: int, fast: bool = True) -> List[Dict]:
    """Rows of the table for one method: ours, mmpretrain's when it has one, ours with fast augmentation."""
    model_cfg, pipeline = _load(case)
    batches = {'mmssl_ext': _Batches(pipeline, batch, size)}
    impls = {'mmssl_ext': model_cfg}
    if case in THEIRS:
        impls['mmpretrain'] = THEIRS[case](model_cfg)
        batches['mmpretrain'] = batches['mmssl_ext']
    if fast and case in FAST:
        # the per-image pipeline with channels-last inputs, as the fast configs use: separates the two effects
        channels_last = copy.deepcopy(model_cfg)
        pre = channels_last['data_preprocessor']
        channels_last['data_preprocessor'] = dict(
            type='BatchAugDataPreprocessor', mean=pre['mean'], std=pre['std'], to_rgb=pre['to_rgb'], channels_last=True
        )
        impls['mmssl_ext channels-last'] = channels_last
        batches['mmssl_ext channels-last'] = batches['mmssl_ext']
        impls['mmssl_ext fast'], fast_pipeline = _load(case, FAST)
        batches['mmssl_ext fast'] = _Batches(fast_pipeline, batch, size)
    fixed = {name: make() for name, make in batches.items()}
    built = {name: _build(cfg) for name, cfg in impls.items()}

    def run(name: str, include_data: bool):
        model, wrapper = built[name]

        def once() -> float:
            def steps_fn():
                for _ in range(steps):
                    model.train_step(batches[name]() if include_data else fixed[name], wrapper)

            return timed(steps_fn) / steps

        return once

    rows = []
    excluded = alternating_medians({n: run(n, False) for n in built}, repeats, warmup)
    included = alternating_medians({n: run(n, True) for n in built}, repeats, warmup)
    for name, (model, _) in built.items():
        views = getattr(model.data_preprocessor, 'total_views', None) or _views(fixed[name])
        rows.append(
            dict(
                case=case,
                impl=name,
                batch=batch,
                views=views,
                excl=batch / excluded[name],
                incl=batch / included[name],
                ms_per_view=1000 * excluded[name] / (batch * views),
            )
        )
    by_name = {r['impl']: r for r in rows}
    if 'mmpretrain' in by_name:
        for key in ('excl', 'incl'):
            by_name['mmssl_ext'][f'ratio_{key}'] = by_name['mmssl_ext'][key] / by_name['mmpretrain'][key]
    if 'mmssl_ext fast' in by_name:
        fast_row = by_name['mmssl_ext fast']
        fast_row['fast_ratio'] = fast_row['incl'] / by_name['mmssl_ext']['incl']
        fast_row['fast_ratio_cl'] = fast_row['incl'] / by_name['mmssl_ext channels-last']['incl']
    return rows


def table(rows: List[Dict]) -> List[str]:
    """The markdown table of the rows."""
    out = [
        '| Method | Implementation | Batch x views | img/s, data excluded | img/s, data included '
        '| ms / view (excl.) | ours / mmpretrain (excl. / incl.) | fast / per-image (incl.) '
        '| fast / per-image channels-last (incl.) |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        ratio = f"{r['ratio_excl']:.3f} / {r['ratio_incl']:.3f}" if 'ratio_excl' in r else ''
        fast = f"{r['fast_ratio']:.3f} | {r['fast_ratio_cl']:.3f}" if 'fast_ratio' in r else ' | '
        out.append(
            f"| {r['case']} | {r['impl']} | {r['batch']} x {r['views']} | {r['excl']:.1f} | {r['incl']:.1f} "
            f"| {r['ms_per_view']:.2f} | {ratio} | {fast} |"
        )
    return out


def main(argv: Optional[List[str]] = None) -> List[Dict]:
    """Run the benchmark, print (and with ``--write`` record) the table; returns the rows."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--cases', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=1, help='steps per measurement')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--no-fast', action='store_true', help='skip the fast-augmentation rows')
    parser.add_argument('--smoke', action='store_true', help='batch 4, 16x16, one repeat, no warm-up')
    parser.add_argument('--write', action='store_true', help='replace the table in docs/benchmarks.md')
    args = parser.parse_args(argv)
    if args.smoke:
        args.batch, args.size, args.repeats = 4, 16, 1
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    rows = []
    for case in args.cases:
        warmup = 0 if args.smoke else 1
        new = measure(case, args.batch, args.size, args.steps, args.repeats, warmup, fast=not args.no_fast)
        print(*table(new)[2:], sep='\n', flush=True)
        rows += new
    lines = table(rows)
    print('\n'.join(lines))
    if args.write and not args.smoke:
        command = (
            f'python bench/train_step.py --cases {" ".join(args.cases)} --batch {args.batch} --size {args.size} '
            f'--steps {args.steps} --repeats {args.repeats}{" --no-fast" if args.no_fast else ""} --write'
        )
        write_block(
            MARKER,
            'Training step: mmssl_ext vs mmpretrain (bench/train_step.py)',
            [f'Machine: {machine_line()}. Command: `{command}`.', '', *lines],
        )
    return rows


if __name__ == '__main__':
    main()
