# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Budget-benchmark report: mean +- std table, kNN curves, bar chart and metafile results from the run JSONs.

``python tools/benchmarks/budget/report.py --preset cpu-small``

The table goes into ``docs/benchmarks.md`` between ``<!-- budget:PRESET:start -->`` and ``...:end -->`` (added at
the end of the file the first time), the figures into ``docs/img/budget_PRESET_{curves,bars}.png``, and each
method's mean figures into its config's ``Results`` in the metafile (``--metafiles``).
"""

import argparse
import glob
import json
import os
import os.path as osp
import re
import statistics
import sys
from typing import Dict, List, Optional

_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tools.benchmarks.budget.methods import METHODS, RANDOM  # noqa: E402

__all__ = ['load_runs', 'summarise', 'markdown_table', 'write_section', 'plot', 'write_metafile_results', 'main']

_METRICS = ('knn/top1', 'knn/top5', 'linear/top1')


def load_runs(out_dir: str, preset: str) -> Dict[str, List[dict]]:
    """Every run JSON of ``preset``, grouped by method (seeds in order)."""
    runs: Dict[str, List[dict]] = {}
    for path in sorted(glob.glob(osp.join(out_dir, preset, '*_seed*.json'))):
        with open(path) as f:
            record = json.load(f)
        runs.setdefault(record['method'], []).append(record)
    for records in runs.values():
        records.sort(key=lambda r: r['seed'])
    return runs


def _mean_std(values: List[float]) -> tuple:
    """Mean and sample standard deviation (0 for one value)."""
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else None)


def summarise(runs: Dict[str, List[dict]]) -> Dict[str, dict]:
    """Per method: seeds, mean/std of each metric, the gain over its family's random row, mean time."""
    summary: Dict[str, dict] = {}
    for name, records in runs.items():
        row = dict(seeds=[r['seed'] for r in records])
        for metric in _METRICS:
            row[metric] = _mean_std([r[metric] for r in records])
        times = [r['train_s'] for r in records if r.get('train_s')]
        row['train_min'] = statistics.mean(times) / 60 if times else None
        speeds = [r['img_per_s'] for r in records if r.get('img_per_s')]
        row['img_per_s'] = statistics.mean(speeds) if speeds else None
        summary[name] = row
    for name, row in summary.items():
        base_name = name.split('@', 1)[0]  # METHOD@TAG: a diagnostic variant of METHOD
        family = name.split('-', 1)[1] if name.startswith(RANDOM + '-') else METHODS[base_name].family
        base = summary.get(f'{RANDOM}-{family}')
        row['gain'] = row['knn/top1'][0] - base['knn/top1'][0] if base and not name.startswith(RANDOM) else None
    return summary


def _cell(value: tuple) -> str:
    """``mean ± std``; one seed has no std yet."""
    return f'{value[0]:.2f}' if value[1] is None else f'{value[0]:.2f} ± {value[1]:.2f}'


def _order(summary: Dict[str, dict]) -> List[str]:
    """Random rows, the methods in ``METHODS`` order, then the diagnostic ``METHOD@TAG`` rows."""
    return (
        sorted(n for n in summary if n.startswith(RANDOM))
        + [n for n in METHODS if n in summary]
        + sorted(n for n in summary if '@' in n)
    )


def markdown_table(summary: Dict[str, dict], notes: Optional[Dict[str, str]] = None) -> str:
    """The results table: random rows first, then the methods in ``METHODS`` order, then diagnostics."""
    notes = notes or {}
    order = _order(summary)
    lines = [
        '| Method | Seeds | kNN top-1 | kNN top-5 | Linear top-1 | kNN gain over random | Train min/run | img/s '
        '| Note |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for name in order:
        row = summary[name]
        gain = f'{row["gain"]:+.2f}' if row['gain'] is not None else ''
        minutes = f'{row["train_min"]:.1f}' if row['train_min'] else ''
        speed = f'{row["img_per_s"]:.0f}' if row['img_per_s'] else ''
        seeds = ','.join(str(s) for s in row['seeds'])
        lines.append(
            f'| {name} | {seeds} | {_cell(row["knn/top1"])} | {_cell(row["knn/top5"])} | '
            f'{_cell(row["linear/top1"])} | {gain} | {minutes} | {speed} | {notes.get(name, "")} |'
        )
    return '\n'.join(lines) + '\n'


def write_section(doc: str, preset: str, body: str) -> None:
    """Replace (or append) the ``preset`` section of ``doc`` between its markers."""
    start, end = f'<!-- budget:{preset}:start -->', f'<!-- budget:{preset}:end -->'
    text = open(doc).read() if osp.exists(doc) else ''
    block = f'{start}\n{body}{end}'
    if start in text and end in text:
        text = re.sub(re.escape(start) + '.*?' + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip('\n') + '\n\n' + block + '\n'
    with open(doc, 'w') as f:
        f.write(text)


def plot(runs: Dict[str, List[dict]], summary: Dict[str, dict], preset: str, img_dir: str) -> List[str]:
    """kNN-over-iterations curves (mean over seeds) and a bar chart with std error bars; returns the files."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    os.makedirs(img_dir, exist_ok=True)
    files = [osp.join(img_dir, f'budget_{preset}_curves.png'), osp.join(img_dir, f'budget_{preset}_bars.png')]
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, records in runs.items():
        curves = [r['curve']['knn'] for r in records if r.get('curve', {}).get('knn')]
        if not curves:
            continue
        length = min(len(c) for c in curves)
        steps = [curves[0][i][0] for i in range(length)]
        mean = [statistics.mean(c[i][1] for c in curves) for i in range(length)]
        ax.plot(steps, mean, marker='o', ms=3, label=name)
    for name in (n for n in summary if n.startswith(RANDOM)):
        ax.axhline(summary[name]['knn/top1'][0], color='grey', ls='--', lw=1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('kNN top-1 (%), 2,000-image curve subset')
    ax.set_title(f'Budget benchmark ({preset}): kNN during training, mean over seeds (dashed: random init)')
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(files[0], dpi=110)
    plt.close(fig)
    names = _order(summary)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.bar(
        range(len(names)),
        [summary[n]['knn/top1'][0] for n in names],
        yerr=[summary[n]['knn/top1'][1] or 0.0 for n in names],
        capsize=3,
        color=['grey' if n.startswith(RANDOM) else 'tab:blue' for n in names],
    )
    ax.set_xticks(range(len(names)), names, rotation=45, ha='right', fontsize=8)
    ax.set_ylabel('kNN top-1 (%), 10k bank / 10k test')
    ax.set_title(f'Budget benchmark ({preset}): final kNN, mean ± std over seeds')
    fig.tight_layout()
    fig.savefig(files[1], dpi=110)
    plt.close(fig)
    return files


def write_metafile_results(summary: Dict[str, dict], preset: str) -> List[str]:
    """Put each method's budget figures into its config's ``Results`` (metafile next to the config)."""
    changed = []
    task = f'Budget benchmark ({preset})'
    for name, row in summary.items():
        if name not in METHODS:
            continue
        config = METHODS[name].config
        meta = osp.join(_ROOT, osp.dirname(config), 'metafile.yml')
        if not osp.exists(meta):
            continue
        text = open(meta).read()
        pattern = re.compile(r'(    Results:)(?: null\n|\n(?:      .*\n)+?)(    Config: ' + re.escape(config) + r'\n)')
        std = row['knn/top1'][1]
        metrics = (
            f'{{kNN Top 1 Accuracy: {row["knn/top1"][0]:.2f}, '
            + (f'kNN Top 1 Std: {std:.2f}, ' if std is not None else '')
            + f'Linear Top 1 Accuracy: {row["linear/top1"][0]:.2f}, Seeds: {len(row["seeds"])}}}'
        )
        results = (
            f'\n      - Task: {task}\n        Dataset: CIFAR-10\n        Metrics: {metrics}\n'
            f'        Notes: docs/benchmarks.md; the config at the preset budget, not its full schedule\n'
        )
        new, count = pattern.subn(lambda m, res=results: m.group(1) + res + m.group(2), text)
        if count and new != text:
            with open(meta, 'w') as f:
                f.write(new)
            changed.append(meta)
    return changed


def main(argv: Optional[List[str]] = None) -> str:
    """Write the table (and figures / metafile results) of one preset; return the table."""
    parser = argparse.ArgumentParser(description='Report of the budget benchmark')
    parser.add_argument('--preset', default='cpu-small')
    parser.add_argument('--out-dir', default='bench/results/budget', help='run JSONs (default %(default)s)')
    parser.add_argument('--doc', default='docs/benchmarks.md', help='markdown file to update (default %(default)s)')
    parser.add_argument('--img-dir', default='docs/img', help='figure directory (default %(default)s)')
    parser.add_argument('--notes', help='JSON file {method: note} shown next to the rows')
    parser.add_argument('--metafiles', action='store_true', help="write the figures into the metafiles' Results")
    parser.add_argument('--no-plots', action='store_true')
    args = parser.parse_args(argv)
    runs = load_runs(args.out_dir, args.preset)
    if not runs:
        raise SystemExit(f'no run JSONs under {osp.join(args.out_dir, args.preset)}; run run.py first')
    summary = summarise(runs)
    notes = json.load(open(args.notes)) if args.notes else {}
    table = markdown_table(summary, notes)
    body = table
    if not args.no_plots:
        files = plot(runs, summary, args.preset, args.img_dir)
        rel = [osp.relpath(f, osp.dirname(osp.abspath(args.doc))) for f in files]
        body += f'\n![kNN during training]({rel[0]})\n![final kNN]({rel[1]})\n'
    write_section(args.doc, args.preset, body)
    if args.metafiles:
        for meta in write_metafile_results(summary, args.preset):
            print(f'[budget] results written into {meta}')
    print(table)
    return table


if __name__ == '__main__':
    main()
