# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Shared by the bench scripts: the machine line, A/B timing, and writing a marked block into docs/benchmarks.md."""

import os
import os.path as osp
import platform
import statistics
import time
from typing import Callable, Dict, List, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOC = osp.join(ROOT, 'docs', 'benchmarks.md')

__all__ = ['DOC', 'ROOT', 'alternating_medians', 'machine_line', 'timed', 'write_block']


def machine_line() -> str:
    """CPU / GPU, cores, threads and library versions, for the header of a table."""
    import mmengine
    import mmpretrain
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'
    cpu = platform.processor() or platform.machine()
    return (
        f'{cpu}, {os.cpu_count()} cores ({torch.get_num_threads()} torch threads), {device}; '
        f'torch {torch.__version__}, mmengine {mmengine.__version__}, mmpretrain {mmpretrain.__version__}'
    )


def alternating_medians(runs: Dict[str, Callable[[], float]], repeats: int, warmup: int = 1) -> Dict[str, float]:
    """Median of ``repeats`` measurements of every run, interleaved A B, B A, A B, ... after ``warmup`` rounds.

    Args:
        runs (dict[str, callable]): Name -> a function that performs one measurement and returns its seconds.
        repeats (int): Measured rounds.
        warmup (int): Unmeasured rounds first. Defaults to 1.

    Returns:
        dict[str, float]: Name -> median seconds.
    """
    names = list(runs)
    times: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(warmup + repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            seconds = runs[name]()
            if r >= warmup:
                times[name].append(seconds)
    return {n: statistics.median(t) for n, t in times.items()}


def timed(fn: Callable[[], object]) -> float:
    """Seconds taken by ``fn()``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def write_block(marker: str, title: str, lines: Sequence[str], path: str = DOC) -> None:
    """Replace (or append under ``## title``) the block between ``<!-- marker:begin -->`` and its end marker.

    Args:
        marker (str): Block name, e.g. ``'bench/train_step.py'``.
        title (str): Section title used when the block is new.
        lines (Sequence[str]): The block's lines.
        path (str): The markdown file. Defaults to docs/benchmarks.md.
    """
    begin, end = f'<!-- {marker}:begin -->', f'<!-- {marker}:end -->'
    block = '\n'.join([begin, *lines, end])
    with open(path) as f:
        text = f.read()
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip('\n') + f'\n\n## {title}\n\n{block}\n'
    with open(path, 'w') as f:
        f.write(text)
