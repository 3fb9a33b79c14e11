# Copyright (c) mmssl_ext contributors. All rights reserved.
"""2-D map (t-SNE or UMAP) of a checkpoint's backbone embeddings, coloured by class, as a PNG.

``python tools/visualization/vis_tsne.py CONFIG CHECKPOINT --out FILE.png [--method tsne|umap]``

The embeddings are those of ``tools/analysis_tools/extract_features.py`` (same split choice, same
pooling and normalisation). ``--max-samples`` keeps that many images spread evenly over the split,
so every class stays in proportion. ``--folder PATH`` maps the images of any folder (coloured by its class
sub-folders when it has them, in one colour when it has none; see ``extract_features.py``). UMAP needs the
``umap-learn`` package.
"""

import argparse
import importlib.util
import os
import os.path as osp
import sys
from typing import List, Optional

import numpy as np
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from tools.analysis_tools.extract_features import (  # noqa: E402
    SPLIT_LOADERS,
    FeatureTable,
    add_folder_args,
    extract_split_features,
)

__all__ = ['METHODS', 'check_method', 'embed_2d', 'plot_embedding', 'main']

METHODS = ('tsne', 'umap')
FIG_SIZE = (9.0, 8.0)  # inches; the PNG is FIG_SIZE * dpi pixels
MAX_LEGEND = 20  # more classes than this are drawn without a legend


def check_method(method: str) -> None:
    """Fail early when ``method`` is unknown or its package is missing.

    Args:
        method (str): ``'tsne'`` or ``'umap'``.

    Raises:
        ValueError: For an unknown method.
        ImportError: For ``'umap'`` without the ``umap-learn`` package.
    """
    if method not in METHODS:
        raise ValueError(f'--method must be one of {list(METHODS)}, got {method!r}')
    if method == 'umap' and importlib.util.find_spec('umap') is None:
        raise ImportError('--method umap needs the umap-learn package: pip install umap-learn (or use --method tsne)')


def embed_2d(features: np.ndarray, method: str = 'tsne', perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """Project ``features`` to two dimensions.

    Args:
        features (np.ndarray): Features, shape ``[N, D]``.
        method (str): ``'tsne'`` (scikit-learn) or ``'umap'`` (umap-learn). Defaults to ``'tsne'``.
        perplexity (float): t-SNE perplexity, below ``N``; for UMAP, the number of neighbours. Defaults to 30.0.
        seed (int): Random seed of the projection. Defaults to 0.

    Returns:
        np.ndarray: Coordinates, shape ``[N, 2]``.
    """
    check_method(method)
    n = len(features)
    if n < 2:
        raise ValueError(f'a 2-D map needs at least 2 samples, got {n}')
    if not 0 < perplexity < n:
        raise ValueError(f'--perplexity must be in (0, {n}) for {n} samples, got {perplexity}')
    if method == 'umap':
        import umap

        reducer = umap.UMAP(n_components=2, n_neighbors=max(2, int(perplexity)), random_state=seed)
        return np.asarray(reducer.fit_transform(features))
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, perplexity=perplexity, init='pca', random_state=seed).fit_transform(features)


def plot_embedding(
    coords: np.ndarray,
    labels: np.ndarray,
    out: str,
    classes: Optional[List[str]] = None,
    title: str = '',
    dpi: int = 100,
) -> str:
    """Scatter ``coords`` coloured by ``labels`` with a class legend, saved as a PNG.

    Args:
        coords (np.ndarray): Points, shape ``[N, 2]``.
        labels (np.ndarray): Class index of every point, shape ``[N]``; ``-1`` marks an unlabelled point (all
            ``-1``: one colour, no legend).
        out (str): Output PNG.
        classes (list[str], optional): Class names, indexed by label. Defaults to None (the label numbers).
        title (str): Figure title. Defaults to ``''``.
        dpi (int): Pixels per inch; the image is ``FIG_SIZE * dpi`` pixels. Defaults to 100.

    Returns:
        str: ``out``.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIG_SIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    present = np.unique(labels)
    if present.tolist() == [-1]:
        present = np.asarray([], dtype=labels.dtype)
        ax.scatter(coords[:, 0], coords[:, 1], s=8, color='tab:blue')
    colours = matplotlib.colormaps['tab10' if len(present) <= 10 else 'tab20']  # categorical palette
    for i, label in enumerate(present):
        mask = labels == label
        name = classes[label] if classes is not None and 0 <= label < len(classes) else str(label)
        ax.scatter(coords[mask, 0], coords[mask, 1], s=8, color=colours(i % colours.N), label=name)
    if 0 < len(present) <= MAX_LEGEND:
        ax.legend(loc='center left', bbox_to_anchor=(1.0, 0.5), markerscale=2, frameon=False, title='class')
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    fig.subplots_adjust(left=0.03, right=0.82, bottom=0.03, top=0.94)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=dpi, format='png')
    return out


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='2-D t-SNE / UMAP map of backbone embeddings, coloured by class')
    parser.add_argument('config', help='config defining the model and the evaluation dataloaders')
    parser.add_argument('checkpoint', help="checkpoint (full or backbone-only), or 'random'")
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--method', default='tsne', help='tsne (scikit-learn) or umap (umap-learn) (default tsne)')
    parser.add_argument('--max-samples', type=int, default=2000, help='images, spread over the split (default 2000)')
    parser.add_argument(
        '--perplexity', type=float, default=30.0, help='t-SNE perplexity / UMAP neighbours (default 30)'
    )
    parser.add_argument('--seed', type=int, default=0, help='seed of the projection (default 0)')
    parser.add_argument('--split', choices=sorted(SPLIT_LOADERS), default='test', help='split (default test)')
    parser.add_argument('--batch-size', type=int, help="override the dataloader's batch size")
    parser.add_argument('--dpi', type=int, default=100, help='pixels per inch of the 9x8-inch figure (default 100)')
    add_folder_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar (on stderr) over the extraction')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    """Entry point; returns the PNG written."""
    args = parse_args(argv)
    if osp.splitext(args.out)[1].lower() != '.png':
        raise ValueError(f'--out must end in .png, got {args.out!r}')
    if args.dpi < 1:
        raise ValueError(f'--dpi must be >= 1, got {args.dpi}')
    check_method(args.method)  # fail before the extraction
    table: FeatureTable = extract_split_features(
        args.config,
        args.checkpoint,
        split=args.split,
        batch_size=args.batch_size,
        max_samples=args.max_samples,
        cfg_options=args.cfg_options,
        folder=args.folder,
        img_size=args.img_size,
        folder_labels=not args.no_labels,
        progress=not args.no_progress,
    )
    coords = embed_2d(table.features, args.method, args.perplexity, args.seed)
    source = osp.basename(osp.normpath(args.folder)) if args.folder else args.split
    title = f'{args.method} of {osp.basename(args.checkpoint)} ({source}, {len(coords)} images)'
    plot_embedding(coords, table.labels, args.out, table.classes, title, args.dpi)
    print(f'vis_tsne: {len(coords)} images -> {args.out}')
    return args.out


if __name__ == '__main__':
    main()
