# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Cost of APS's sparse token sets against the all-token baseline: one loaded batch of the full training step.

Both arms build the model of ``configs/aps/aps_vit-tiny-p2_1xb64-coslr-120iter_cifar10.py`` (ViT-T/2, 32x32) and
run ``model.train_step`` (data preprocessor, forwards, backwards, AdamW steps; no data loading) on the same random
batch: APS with ``nsampling`` chunks of ``ratio x 256`` tokens per view (4 steps), the baseline with all 256 tokens
(1 step). Runs alternate between the arms; the table reports the median of ``--repeats`` after one warm-up:
seconds per loaded batch, optimiser steps/s and tokens/s (tokens through the encoder, cls included, both views).

Usage::

    python bench/aps_tokens.py                       # print the table
    python bench/aps_tokens.py --write               # and replace its block in docs/benchmarks.md
    python bench/aps_tokens.py --batch 8 --repeats 1 --arch tiny-test   # smoke mode (the test suite)
"""

import argparse
import os
import os.path as osp
import platform
import sys
from typing import Dict, List, Optional

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.common import alternating_medians, timed, write_block  # noqa: E402

CONFIG = osp.join(ROOT, 'configs', 'aps', 'aps_vit-tiny-p2_1xb64-coslr-120iter_cifar10.py')
TEST_ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def build(arch: str):
    """The APS model and an AdamW ``OptimWrapper`` of the CPU-budget config (``arch='tiny-test'``: a 2-block ViT)."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    from mmssl_ext.registry import MODELS
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(CONFIG)
    if arch == 'tiny-test':
        cfg.model.backbone.arch = TEST_ARCH
        cfg.model.neck.in_channels = TEST_ARCH['embed_dims']
    cfg.model.data_preprocessor = cfg.data_preprocessor
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def make_batch(batch: int, grid: int, ratio: float, nsampling: Optional[int], seed: int = 0) -> dict:
    """Two uint8 views; with ``nsampling``, ``[nsampling, n]`` token ids per sample (view 1's chunks disjoint)."""
    from mmpretrain.structures import DataSample

    rng = np.random.default_rng(seed)
    views = [torch.from_numpy(rng.integers(0, 256, (batch, 3, 32, 32), dtype=np.uint8)) for _ in range(2)]
    samples = []
    n = int(grid * grid * ratio)
    for _ in range(batch):
        sample = DataSample()
        if nsampling:
            sample.set_field(rng.permutation(grid * grid)[: nsampling * n].reshape(nsampling, n), 'idx_view1')
            sample.set_field(np.stack([rng.permutation(grid * grid)[:n] for _ in range(nsampling)]), 'idx_view2')
        samples.append(sample)
    return dict(inputs=views, data_samples=samples)


def measure(batch: int, repeats: int, arch: str, ratio: float = 0.25, nsampling: int = 4) -> Dict[str, dict]:
    """Median seconds per loaded batch of both arms, alternating, after one warm-up each."""
    grid = 16
    arms = {
        'APS (25% tokens, 4 steps / batch)': (nsampling, int(grid * grid * ratio)),
        'all tokens (1 step / batch)': (None, grid * grid),
    }
    models = {name: build(arch) for name in arms}
    batches = {name: make_batch(batch, grid, ratio, chunks) for name, (chunks, _) in arms.items()}

    def run(name: str):
        model, wrapper = models[name]
        return lambda: timed(lambda: model.train_step(batches[name], wrapper))

    medians = alternating_medians({name: run(name) for name in arms}, repeats, warmup=1)
    rows = {}
    for name, (chunks, tokens) in arms.items():
        sec = medians[name]
        steps = chunks or 1
        rows[name] = dict(
            sec=sec,
            steps_per_s=steps / sec,
            tokens_per_s=steps * 2 * batch * (tokens + 1) / sec,
            images_per_s=batch / sec,
        )
    return rows


def table(rows: Dict[str, dict]) -> str:
    """Markdown table with the tokens/s ratio against the all-token arm."""
    base = rows['all tokens (1 step / batch)']
    lines = [
        '| arm | s / loaded batch | optimiser steps / s | tokens / s | images / s | tokens/s vs all tokens |',
        '|---|---|---|---|---|---|',
    ]
    for name, r in rows.items():
        lines.append(
            f'| {name} | {r["sec"]:.2f} | {r["steps_per_s"]:.2f} | {r["tokens_per_s"]:.0f} | '
            f'{r["images_per_s"]:.1f} | {r["tokens_per_s"] / base["tokens_per_s"]:.2f}x |'
        )
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> Dict[str, dict]:
    """Run, print and optionally write the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--arch', default='tiny', choices=['tiny', 'tiny-test'])
    parser.add_argument('--write', action='store_true', help='replace the table in docs/benchmarks.md')
    args = parser.parse_args(argv)
    rows = measure(args.batch, args.repeats, args.arch)
    text = table(rows)
    print(text)
    if args.write:
        header = (
            f'Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch '
            f'{torch.__version__}, {torch.get_num_threads()} threads. Command: `python bench/aps_tokens.py --batch '
            f'{args.batch} --repeats {args.repeats} --write` (ViT-T/2, 32x32, fp32, median of {args.repeats}).'
        )
        write_block(
            'bench/aps_tokens.py', 'APS token cost: one loaded batch of the training step (CPU)', [header, '', text]
        )
    return rows


if __name__ == '__main__':
    main()
