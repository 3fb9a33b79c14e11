# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Cost of NonFiniteGuardHook's parameter check against the training step it guards.

The loss check reads floats the logger already has (no cost); the parameter check is one fused norm over the
model's parameters and one host read per ``param_interval`` iterations. This script times that check and one
SimCLR training step (forward, backward, SGD) of the same model on the same device, and prints their ratio.

Usage::

    python bench/guard_cost.py                      # print the table
    python bench/guard_cost.py --write              # and replace its block in docs/benchmarks.md
"""

import argparse
import sys
from typing import Dict, List, Optional

import torch

sys.path.insert(0, __file__.rsplit('/bench/', 1)[0])

from bench.common import alternating_medians, machine_line, timed, write_block  # noqa: E402
from mmssl_ext.engine.hooks import non_finite_tensors  # noqa: E402
from mmssl_ext.models.losses import InfoNCELoss  # noqa: E402
from mmssl_ext.registry import MODELS  # noqa: E402
from mmssl_ext.utils import register_all_modules  # noqa: E402


def build(width: int) -> torch.nn.Module:
    """ResNet-18 (CIFAR stem) at ``width`` with SimCLR's projector."""
    backbone = MODELS.build(
        dict(
            type='mmpretrain.ResNet_CIFAR', depth=18, stem_channels=width, base_channels=width, zero_init_residual=False
        )
    )
    neck = MODELS.build(
        dict(
            type='mmpretrain.NonLinearNeck',
            in_channels=width * 8,
            hid_channels=2048,
            out_channels=128,
            with_avg_pool=True,
        )
    )
    return torch.nn.Sequential(backbone, neck)


def measure(width: int, batch: int, repeats: int) -> Dict[str, float]:
    """Median seconds of the parameter check and of one training step."""
    model = build(width).train()
    loss_fn = InfoNCELoss(temperature=0.5)
    optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.randn(2 * batch, 3, 32, 32)

    def step() -> None:
        optim.zero_grad(set_to_none=True)
        z = torch.nn.functional.normalize(model(images)[0], dim=1)
        loss_fn(torch.stack([z[:batch], z[batch:]], dim=1)).backward()
        optim.step()

    def check() -> None:
        assert not non_finite_tensors(dict(model.named_parameters()))

    out = alternating_medians({'step': lambda: timed(step), 'check': lambda: timed(check)}, repeats)
    out['params'] = float(sum(p.numel() for p in model.parameters()))
    return out


def table(rows: Dict[int, Dict[str, float]], batch: int) -> str:
    """Markdown table: parameters, check time, step time and their ratio per width."""
    lines = [
        f'| ResNet-18 width | parameters | parameter check (ms) | SimCLR step, batch {batch} (ms) | check / step |',
        '|---|---|---|---|---|',
    ]
    for width, r in rows.items():
        lines.append(
            f'| {width} | {r["params"] / 1e6:.2f} M | {r["check"] * 1e3:.2f} | {r["step"] * 1e3:.0f} | '
            f'{100 * r["check"] / r["step"]:.2f}% |'
        )
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> Dict[int, Dict[str, float]]:
    """Run, print and optionally write the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--widths', type=int, nargs='+', default=[16, 64])
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--write', action='store_true', help='replace the table in docs/benchmarks.md')
    args = parser.parse_args(argv)
    register_all_modules(init_default_scope=True)
    rows = {w: measure(w, args.batch, args.repeats) for w in args.widths}
    text = table(rows, args.batch)
    print(text)
    if args.write:
        header = (
            f'Machine: {machine_line()}. Command: `python bench/guard_cost.py --widths '
            f'{" ".join(map(str, args.widths))} --batch {args.batch} --repeats {args.repeats} --write` '
            f'(fp32, median of {args.repeats}, check and step interleaved).'
        )
        write_block('bench/guard_cost.py', 'Non-finite guard: parameter check vs training step', [header, '', text])
    return rows


if __name__ == '__main__':
    main()
