# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Every view the train pipeline makes, as a PNG grid: one row per sample, one column per view.

``python tools/visualization/browse_dataset.py CONFIG --out grid.png [--num-samples N] [--seed S]``

Runs the whole pipeline of the split's dataset (``MultiView`` included) on the first ``N`` samples, seeded, so the
same seed draws the same crops. Views are shown in RGB (channels flipped when the config's data preprocessor sets
``to_rgb`` / ``bgr_to_rgb``). A ``mask`` in the packed data sample (or APS's ``idx_view1`` / ``idx_view2`` token ids,
first chunk) is drawn as a red overlay on its view.
"""

import argparse
import copy
import os
import os.path as osp
import random
import sys
from typing import Any, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

__all__ = ['SPLITS', 'collect_views', 'collect_samples', 'draw_grid', 'main']

SPLITS = ('train', 'val', 'test')
CELL_INCHES = 1.6  # side of one grid cell
MASK_COLOUR = np.array([255.0, 0.0, 0.0])
MASK_ALPHA = 0.45

Views = List[List[np.ndarray]]
Masks = List[List[Optional[np.ndarray]]]


def _load_config(cfg: Union[str, Config], cfg_options: Optional[dict] = None) -> Config:
    """A config from a path (or a copy of ``cfg``) with ``cfg_options`` merged in."""
    cfg = Config.fromfile(cfg) if isinstance(cfg, str) else copy.deepcopy(cfg)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _wants_rgb_flip(cfg: Config) -> bool:
    """Whether the data preprocessor flips BGR to RGB (``to_rgb`` or ``bgr_to_rgb``)."""
    model = cfg.get('model') or {}
    for pre in (cfg.get('data_preprocessor'), model.get('data_preprocessor')):
        if isinstance(pre, dict):
            for key in ('bgr_to_rgb', 'to_rgb'):
                if key in pre:
                    return bool(pre[key])
    return False


def _find_sampler(node: Any) -> Optional[dict]:
    """The first ``APSPatchSampler`` transform dict of a (nested) pipeline, if any."""
    if isinstance(node, (list, tuple)):
        return next((s for s in map(_find_sampler, node) if s is not None), None)
    if not isinstance(node, dict):
        return None
    if node.get('type') == 'APSPatchSampler':
        return node
    return next((s for s in map(_find_sampler, node.values()) if s is not None), None)


def _to_image(view: Any, flip: bool, index: int) -> np.ndarray:
    """A CHW tensor of ``PackInputs`` as an HWC uint8 RGB array."""
    if not isinstance(view, torch.Tensor) or view.ndim != 3 or view.shape[0] not in (1, 3):
        shape = tuple(view.shape) if hasattr(view, 'shape') else type(view).__name__
        raise ValueError(f'view {index} of `inputs` must be a CHW tensor with 1 or 3 channels, got {shape}')
    image = view.detach().cpu().numpy().transpose(1, 2, 0)
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif flip:
        image = image[..., ::-1]
    return np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))


def _resize_mask(cells: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """A boolean 2-D ``cells`` mask stretched (nearest) to ``size`` pixels."""
    rows = np.arange(size[0]) * cells.shape[0] // size[0]
    cols = np.arange(size[1]) * cells.shape[1] // size[1]
    return cells[rows][:, cols]


def _token_mask(ids: Any, grid: int, size: Tuple[int, int]) -> np.ndarray:
    """A boolean ``size`` mask of the ``grid x grid`` tokens in ``ids``."""
    cells = np.zeros(grid * grid, dtype=bool)
    cells[np.asarray(ids, dtype=np.int64).reshape(-1)] = True
    return _resize_mask(cells.reshape(grid, grid), size)


def _masks_of(sample: Any, views: List[np.ndarray], sampler: Optional[dict]) -> List[Optional[np.ndarray]]:
    """Per-view masks carried by a packed data sample: ``mask`` for every view, else APS token ids, else none."""
    masks: List[Optional[np.ndarray]] = [None] * len(views)
    mask = getattr(sample, 'mask', None)
    if mask is not None:
        mask = np.asarray(mask.cpu() if isinstance(mask, torch.Tensor) else mask).astype(bool)
        if mask.ndim == 1:  # token flags of a square grid
            side = int(round(mask.size**0.5))
            mask = mask[: side * side].reshape(side, side)
        return [_resize_mask(mask.reshape(mask.shape[-2:]), v.shape[:2]) for v in views]
    if sampler is None:
        return masks
    grid = int(sampler.get('img_size', 32)) // int(sampler.get('patch_size', 2))
    for k, view in enumerate(views):
        ids = getattr(sample, f'idx_view{k + 1}', None)
        if ids is not None:
            first = np.asarray(ids.cpu() if isinstance(ids, torch.Tensor) else ids)[0]  # first chunk
            masks[k] = _token_mask(first, grid, view.shape[:2])
    return masks


def collect_samples(
    cfg: Union[str, Config], num_samples: int = 4, seed: int = 0, split: str = 'train'
) -> Tuple[Views, Masks]:
    """Run the split's full pipeline on the first ``num_samples`` samples and keep every view and mask.

    Args:
        cfg (str | Config): Config (or its path) with a ``{split}_dataloader``.
        num_samples (int): Samples (grid rows), at least 1. Defaults to 4.
        seed (int): Seed of ``random``, ``numpy.random`` and ``torch``. Defaults to 0.
        split (str): One of ``SPLITS``. Defaults to ``'train'``.

    Returns:
        tuple[list[list[np.ndarray]], list[list[np.ndarray | None]]]: Per sample, its views (HWC uint8 RGB)
        and the boolean mask of every view (``None`` when the data sample carries none).

    Raises:
        ValueError: For a bad ``num_samples`` or ``split``, a config without that dataloader, or a dataset whose
            samples have no CHW tensor (or list of them) under ``inputs``.
    """
    if not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f'num_samples (--num-samples) must be an integer >= 1, got {num_samples!r}')
    if split not in SPLITS:
        raise ValueError(f'split (--split) must be one of {list(SPLITS)}, got {split!r}')
    from mmssl_ext.registry import DATASETS
    from mmssl_ext.utils import register_all_modules

    cfg = _load_config(cfg)
    loader = cfg.get(f'{split}_dataloader')
    if not isinstance(loader, dict) or 'dataset' not in loader:
        raise ValueError(f'the config has no `{split}_dataloader` with a `dataset` (--split {split})')
    register_all_modules(init_default_scope=True)
    dataset = DATASETS.build(loader['dataset'])
    if len(dataset) < num_samples:
        raise ValueError(f'num_samples (--num-samples) must be <= {len(dataset)} (the dataset), got {num_samples}')
    flip, sampler = _wants_rgb_flip(cfg), _find_sampler(loader['dataset'])
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    all_views: Views = []
    all_masks: Masks = []
    for i in range(num_samples):
        packed = dataset[i]
        inputs = packed.get('inputs') if isinstance(packed, dict) else None
        if isinstance(inputs, torch.Tensor):
            inputs = [inputs]  # a single view: one column
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise ValueError(
                f'sample {i} has no `inputs` tensor or MultiView-style list of them (got {type(inputs).__name__}): '
                'end the pipeline with MultiView(...) and PackInputs'
            )
        views = [_to_image(view, flip, k) for k, view in enumerate(inputs)]
        all_views.append(views)
        all_masks.append(_masks_of(packed.get('data_samples'), views, sampler))
    return all_views, all_masks


def collect_views(cfg: Union[str, Config], num_samples: int = 4, seed: int = 0, split: str = 'train') -> Views:
    """The grid layout: per sample, every view of the pipeline (see :func:`collect_samples`).

    Args:
        cfg (str | Config): Config (or its path) with a ``{split}_dataloader``.
        num_samples (int): Samples (grid rows), at least 1. Defaults to 4.
        seed (int): Seed of ``random``, ``numpy.random`` and ``torch``. Defaults to 0.
        split (str): One of ``SPLITS``. Defaults to ``'train'``.

    Returns:
        list[list[np.ndarray]]: ``num_samples`` rows of HWC uint8 RGB views.
    """
    return collect_samples(cfg, num_samples, seed, split)[0]


def draw_grid(views: Views, out: str, masks: Optional[Masks] = None, title: str = '', dpi: int = 100) -> str:
    """Draw one row per sample and one column per view, each cell titled with its view index and size.

    Args:
        views (list[list[np.ndarray]]): Rows of HWC uint8 views (rows may differ in length).
        out (str): Output PNG.
        masks (list[list[np.ndarray | None]], optional): Boolean mask per view, drawn in red. Defaults to None.
        title (str): Figure title. Defaults to ``''``.
        dpi (int): Pixels per inch. Defaults to 100.

    Returns:
        str: ``out``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not views or not all(views):
        raise ValueError('views must hold at least one row, each with at least one view')
    rows, cols = len(views), max(len(row) for row in views)
    fig = Figure(figsize=(CELL_INCHES * cols, CELL_INCHES * rows + 0.4), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    for r, row in enumerate(views):
        for c in range(cols):
            ax = axes[r][c]
            ax.axis('off')
            if c >= len(row):
                continue
            image = row[c].astype(np.float64)
            mask = masks[r][c] if masks is not None else None
            if mask is not None:
                image[mask] = (1 - MASK_ALPHA) * image[mask] + MASK_ALPHA * MASK_COLOUR
            ax.imshow(image.astype(np.uint8), interpolation='nearest')
            ax.set_title(f'view {c}: {row[c].shape[1]}x{row[c].shape[0]}', fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=dpi, format='png')
    return out


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='PNG grid of every view of the train pipeline')
    parser.add_argument('config', help='config with the dataloader to browse')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--num-samples', type=int, default=4, help='samples, one row each (default 4)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random augmentations (default 0)')
    parser.add_argument('--split', choices=SPLITS, default='train', help='dataloader to browse (default train)')
    parser.add_argument('--dpi', type=int, default=100, help='pixels per inch (default 100)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    """Entry point; returns the PNG written."""
    args = parse_args(argv)
    if osp.splitext(args.out)[1].lower() != '.png':
        raise ValueError(f'--out must end in .png, got {args.out!r}')
    if args.dpi < 1:
        raise ValueError(f'--dpi must be >= 1, got {args.dpi}')
    cfg = _load_config(args.config, args.cfg_options)
    views, masks = collect_samples(cfg, args.num_samples, args.seed, args.split)
    name = osp.basename(args.config)
    draw_grid(views, args.out, masks, f'{name} ({args.split}, seed {args.seed})', args.dpi)
    print(f'browse_dataset: {len(views)} samples x {max(map(len, views))} views -> {args.out}')
    return args.out


if __name__ == '__main__':
    main()
