# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Plot curves and time statistics from MMEngine's ``vis_data/scalars.json``.

``python tools/analysis_tools/analyze_logs.py plot_curve WORK_DIR [...] --keys loss knn/top1 --out curves.png``
``python tools/analysis_tools/analyze_logs.py cal_train_time WORK_DIR [...]``

Each source is a ``scalars.json`` file (one JSON object per line) or a work dir, in which case the newest
``*/vis_data/scalars.json`` below it is used. Training rows carry ``step``/``iter``, ``loss`` and its terms;
rows written by ``KNNEvalHook`` carry ``knn/top1``/``knn/top5`` with their ``step``.
"""

import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

Curve = Tuple[List[int], List[float]]


def resolve_scalars(source: str) -> str:
    """Return the ``scalars.json`` a source names.

    Args:
        source (str): A ``scalars.json`` path, or a work dir searched for the newest (by modification time)
            ``vis_data/scalars.json`` at any depth below it.

    Returns:
        str: The path of the ``scalars.json`` file.
    """
    if osp.isfile(source):
        return source
    if not osp.isdir(source):
        raise FileNotFoundError(f'source {source!r} is neither a scalars.json file nor a work dir')
    found = glob.glob(osp.join(source, '**', 'vis_data', 'scalars.json'), recursive=True)
    if not found:
        raise FileNotFoundError(f'work dir {source!r} holds no */vis_data/scalars.json')
    return max(found, key=lambda p: (osp.getmtime(p), p))


def load_rows(path: str) -> List[dict]:
    """Read the JSON rows of a ``scalars.json`` file, skipping blank lines.

    Args:
        path (str): The ``scalars.json`` file.

    Returns:
        list[dict]: One dict per non-blank line, in file order.
    """
    rows = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{lineno} is not a JSON object: {err}') from err
    return rows


def _row_step(row: dict, path: str) -> int:
    """Return a row's iteration: ``step``, else ``iter``."""
    for name in ('step', 'iter'):
        if name in row:
            return int(row[name])
    raise ValueError(f'{path}: row {row} has neither "step" nor "iter"')


def load_curves(path: str, keys: List[str]) -> Dict[str, Curve]:
    """Extract one ``(steps, values)`` curve per key from a ``scalars.json`` (or work dir).

    Args:
        path (str): A ``scalars.json`` file or a work dir (see :func:`resolve_scalars`).
        keys (list[str]): Scalar names, e.g. ``['loss', 'knn/top1']``.

    Returns:
        dict[str, tuple[list[int], list[float]]]: For each key, the steps of the rows holding it and its values,
        in file order.
    """
    if not keys:
        raise ValueError('keys must name at least one scalar, e.g. ["loss"]')
    path = resolve_scalars(path)
    rows = load_rows(path)
    curves: Dict[str, Curve] = {}
    for key in keys:
        held = [row for row in rows if key in row]
        if not held:
            present = sorted({k for row in rows for k in row} - {'step', 'iter'})
            raise KeyError(f'key {key!r} is in no row of {path}; keys present: {", ".join(present) or "none"}')
        curves[key] = ([_row_step(row, path) for row in held], [float(row[key]) for row in held])
    return curves


def plot_curve(
    sources: List[str],
    keys: List[str],
    out: str,
    legend: Optional[List[str]] = None,
    title: Optional[str] = None,
) -> str:
    """Plot one line per (source, key) against the iteration and save the figure.

    Args:
        sources (list[str]): ``scalars.json`` files or work dirs; several runs share one figure.
        keys (list[str]): Scalar names to plot.
        out (str): Output image path (format from its extension, e.g. ``.png``).
        legend (list[str], optional): One label per (source, key) in source-major order. Defaults to None
            (``"<run> <key>"``, the run named by its work dir, or a file by its timestamp folder).
        title (str, optional): Figure title. Defaults to None.

    Returns:
        str: The written image path.
    """
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    if not sources:
        raise ValueError('sources must name at least one scalars.json or work dir')
    if legend is not None and len(legend) != len(sources) * len(keys):
        raise ValueError(f'--legend needs {len(sources) * len(keys)} labels (one per run and key), got {len(legend)}')
    fig, ax = plt.subplots(figsize=(8, 5))
    try:
        for i, source in enumerate(sources):
            scalars = resolve_scalars(source)
            run_dir = source if osp.isdir(source) else osp.dirname(osp.dirname(osp.abspath(scalars)))
            run = osp.basename(osp.normpath(run_dir))
            for j, (key, (steps, values)) in enumerate(load_curves(scalars, keys).items()):
                label = legend[i * len(keys) + j] if legend is not None else f'{run} {key}'
                ax.plot(steps, values, marker='o' if len(steps) < 30 else None, label=label)
        ax.set_xlabel('iter')
        ax.set_ylabel(', '.join(keys))
        if title:
            ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out)
    finally:
        plt.close(fig)
    return out


def cal_train_time(source: str, include_outliers: bool = False) -> Dict[str, float]:
    """Compute per-iteration time statistics of the training rows (those with ``time``).

    Args:
        source (str): A ``scalars.json`` file or a work dir.
        include_outliers (bool): Keep the first timed row (usually slowed by warm-up). Defaults to False.

    Returns:
        dict[str, float]: ``mean``, ``slowest``, ``slowest_step``, ``fastest``, ``fastest_step`` (seconds/iter).
    """
    path = resolve_scalars(source)
    timed = [row for row in load_rows(path) if 'time' in row]
    if not include_outliers:
        timed = timed[1:]
    if not timed:
        raise ValueError(f'{path} has no rows with "time" to analyse (with include_outliers={include_outliers})')
    times = [float(row['time']) for row in timed]
    slow = max(range(len(times)), key=times.__getitem__)
    fast = min(range(len(times)), key=times.__getitem__)
    return {
        'mean': sum(times) / len(times),
        'slowest': times[slow],
        'slowest_step': _row_step(timed[slow], path),
        'fastest': times[fast],
        'fastest_step': _row_step(timed[fast], path),
    }


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Analyse MMEngine vis_data/scalars.json logs')
    sub = parser.add_subparsers(dest='task', required=True)
    plt_parser = sub.add_parser('plot_curve', help='plot scalar curves against the iteration')
    plt_parser.add_argument('sources', nargs='+', help='scalars.json files or work dirs')
    plt_parser.add_argument('--keys', nargs='+', default=['loss'], help='scalars to plot (default: loss)')
    plt_parser.add_argument('--legend', nargs='+', help='one label per (run, key), run-major')
    plt_parser.add_argument('--title', help='figure title')
    plt_parser.add_argument('--out', required=True, help='output image, e.g. curves.png')
    time_parser = sub.add_parser('cal_train_time', help='per-iteration time statistics')
    time_parser.add_argument('sources', nargs='+', help='scalars.json files or work dirs')
    time_parser.add_argument('--include-outliers', action='store_true', help='keep the first timed row')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point.

    Args:
        argv (list[str], optional): Command-line arguments. Defaults to None (``sys.argv[1:]``).
    """
    args = parse_args(argv)
    if args.task == 'plot_curve':
        out = plot_curve(args.sources, args.keys, args.out, legend=args.legend, title=args.title)
        print(f'saved {out}')
        return
    for source in args.sources:
        stats = cal_train_time(source, include_outliers=args.include_outliers)
        print(f'-----Analyze train time of {resolve_scalars(source)}-----')
        print(f'slowest iter {stats["slowest_step"]}, time is {stats["slowest"]:.4f} s')
        print(f'fastest iter {stats["fastest_step"]}, time is {stats["fastest"]:.4f} s')
        print(f'average iter time: {stats["mean"]:.4f} s/iter')


if __name__ == '__main__':
    main()
