# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Per-image backbone embeddings of a checkpoint, written to ``.npy`` (+ ``.json``) or ``.csv``.

``python tools/analysis_tools/extract_features.py CONFIG CHECKPOINT --out FILE.{npy,csv} [--split train|test]``

The features are those of the kNN tools: the backbone's last stage, global-average pooled and
L2-normalised (``--no-normalize`` keeps the raw pooled values). The images are the config's
evaluation split: ``--split test`` (the default) reads ``knn_query_dataloader`` (else
``test_dataloader`` / ``val_dataloader``), ``--split train`` reads ``knn_bank_dataloader``.
``--folder PATH`` embeds the images of any folder instead (nested folders allowed): with class sub-folders and no
image directly in ``PATH`` the sub-folder names are the labels (``--no-labels`` turns that off), otherwise the
images are unlabelled (label ``-1`` in the output). They are resized to ``--img-size`` (default: the config's
``img_size``, else 32) and normalised by the config's data preprocessor.
``CHECKPOINT`` may be a full checkpoint, a backbone-only file or ``random``.

``FILE.npy`` holds the float32 ``[N, D]`` matrix and ``FILE.json`` lists, per row, the image path
(the sample index when the dataset has no paths) and the label. ``FILE.csv`` holds one row per
image: path (or index), label, then the ``D`` values.
"""

import argparse
import csv
import json
import os
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Union

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.evaluation import build_eval_dataloader, extract_backbone_features, spread_indices  # noqa: E402
from mmssl_ext.registry import DATASETS, MODELS  # noqa: E402
from mmssl_ext.utils import register_all_modules  # noqa: E402
from tools.analysis_tools.knn_eval import load_backbone_weights  # noqa: E402

__all__ = [
    'FeatureTable',
    'SPLIT_LOADERS',
    'add_folder_args',
    'extract_split_features',
    'folder_has_class_subfolders',
    'folder_loader_cfg',
    'row_names',
    'write_features',
    'main',
]

SPLIT_LOADERS = {
    'train': ('knn_bank_dataloader',),
    'test': ('knn_query_dataloader', 'test_dataloader', 'val_dataloader'),
}
FORMATS = ('.npy', '.csv')


@dataclass
class FeatureTable:
    """Embeddings of a split with what identifies each row.

    Args:
        features (np.ndarray): Float32 features, shape ``[N, D]``.
        labels (np.ndarray): Int64 class indices, shape ``[N]`` (``-1`` for an unlabelled image).
        names (list): Per row, the image path, or the sample index when the dataset has no paths.
        name_field (str): ``'path'`` or ``'index'``, what ``names`` holds.
        classes (list, optional): Class names of the dataset's metainfo. Defaults to None.
    """

    features: np.ndarray
    labels: np.ndarray
    names: List[Union[str, int]]
    name_field: str
    classes: Optional[List[str]] = None


class _Progress:
    """A dataloader seen through a tqdm bar (with ETA); keeps ``dataset`` for distributed gathering."""

    def __init__(self, loader, desc: str) -> None:
        self.loader = loader
        self.dataset = loader.dataset
        self.desc = desc

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator:
        return iter(tqdm(self.loader, total=len(self.loader), desc=self.desc, unit='batch'))


def row_names(dataset, indices: Sequence[int]) -> tuple:
    """The image path of every row of ``dataset``, or its index in the split when there are no paths.

    Args:
        dataset: The (possibly subset) dataset, with ``get_data_info``.
        indices (Sequence[int]): Index in the full split of every row of ``dataset``.

    Returns:
        tuple: ``(names, 'path')`` or ``(list(indices), 'index')``.
    """
    paths = [dataset.get_data_info(i).get('img_path') for i in range(len(dataset))]
    if paths and all(isinstance(p, str) for p in paths):
        return paths, 'path'
    return [int(i) for i in indices], 'index'


_IMG_EXTS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def folder_has_class_subfolders(folder: str) -> bool:
    """Whether ``folder`` looks like ``<class>/<images>``: sub-folders and no image directly in it.

    Args:
        folder (str): The image folder.

    Returns:
        bool: True when the sub-folder names can serve as labels.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'--folder: {folder!r} is not a directory')
    entries = os.listdir(folder)
    has_dirs = any(osp.isdir(osp.join(folder, e)) for e in entries)
    has_images = any(e.lower().endswith(_IMG_EXTS) for e in entries)
    return has_dirs and not has_images


def folder_loader_cfg(folder: str, img_size: int, labels: bool, batch_size: int = 64) -> dict:
    """A fixed-order dataloader config over the images of ``folder`` (mmpretrain ``CustomDataset``).

    Args:
        folder (str): The image folder (nested folders allowed).
        img_size (int): Images are resized to ``img_size x img_size``.
        labels (bool): Take labels from the class sub-folders (``with_label=True``).
        batch_size (int): Images per batch. Defaults to 64.

    Returns:
        dict: The dataloader config.
    """
    if img_size < 1:
        raise ValueError(f'--img-size must be >= 1, got {img_size}')
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='mmpretrain.Resize', scale=(img_size, img_size)),
        dict(type='PackInputs'),
    ]
    dataset = dict(type='mmpretrain.CustomDataset', data_root=folder, with_label=labels, pipeline=pipeline)
    return dict(
        batch_size=batch_size,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'),
        drop_last=False,
        dataset=dataset,
    )


def _loader_cfg(cfg: Config, config: str, split: str) -> dict:
    """The dataloader config of ``split``, in a fixed order (no shuffle, no dropped batch)."""
    if split not in SPLIT_LOADERS:
        raise ValueError(f'split must be one of {sorted(SPLIT_LOADERS)}, got {split!r}')
    for key in SPLIT_LOADERS[split]:
        if cfg.get(key) is not None:
            loader = dict(cfg[key])
            loader['sampler'] = dict(loader.get('sampler') or dict(type='DefaultSampler'), shuffle=False)
            loader['drop_last'] = False
            return loader
    raise KeyError(
        f'{config} defines none of {list(SPLIT_LOADERS[split])} for split {split!r}; add one '
        '(see configs/_base_/datasets/*) or pass it with --cfg-options'
    )


def extract_split_features(
    config: str,
    checkpoint: str,
    split: str = 'test',
    batch_size: Optional[int] = None,
    max_samples: Optional[int] = None,
    cfg_options: Optional[dict] = None,
    normalize: bool = True,
    progress: bool = True,
    folder: Optional[str] = None,
    img_size: Optional[int] = None,
    folder_labels: bool = True,
) -> FeatureTable:
    """Build the config's model, load ``checkpoint`` and embed the images of ``split``.

    Args:
        config (str): Config defining ``model`` and the split's dataloader.
        checkpoint (str): Full or backbone-only checkpoint, or ``'random'``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'test'``.
        batch_size (int, optional): Override the dataloader's batch size. Defaults to None.
        max_samples (int, optional): Keep this many images, spread evenly over the split. Defaults to None (all).
        cfg_options (dict, optional): Config overrides. Defaults to None.
        normalize (bool): L2-normalise the pooled features. Defaults to True.
        progress (bool): Show a progress bar with ETA. Defaults to True.
        folder (str, optional): Embed the images of this folder instead of the config's split. Defaults to None.
        img_size (int, optional): Side the folder's images are resized to. Defaults to None (the config's
            ``img_size``, else 32).
        folder_labels (bool): Take labels from the folder's class sub-folders when it has them. Defaults to True.

    Returns:
        FeatureTable: The features with their labels (``-1`` for unlabelled images), names and class names.
    """
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if folder is not None:
        labelled = folder_labels and folder_has_class_subfolders(folder)
        size = int(img_size if img_size is not None else cfg.get('img_size', 32))
        loader_cfg = folder_loader_cfg(folder, size, labelled)
        print(
            f'extract_features: {folder}, {size}x{size}, '
            + ('labels from its sub-folders' if labelled else 'no labels')
        )
    else:
        loader_cfg = _loader_cfg(cfg, config, split)
    if batch_size is not None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        loader_cfg['batch_size'] = batch_size
    if max_samples is not None and max_samples < 1:
        raise ValueError(f'max_samples must be >= 1 (or None for the whole split), got {max_samples}')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmssl_ext')):
        model_cfg = cfg.model.copy()
        if cfg.get('data_preprocessor') is not None:  # as the Runner does: top-level preprocessor -> model
            model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
        model = MODELS.build(model_cfg)
        model.init_weights()
        if checkpoint != 'random':
            load_backbone_weights(model, checkpoint)
        dataset = loader_cfg['dataset']
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        total = len(dataset)
        indices = list(range(total)) if max_samples is None else spread_indices(total, max_samples)
        loader = build_eval_dataloader(dict(loader_cfg, dataset=dataset), max_samples)
        label = f'extract {osp.basename(osp.normpath(folder))}' if folder is not None else f'extract {split}'
        source = _Progress(loader, label) if progress else loader
        feats, labels = extract_backbone_features(model, source, normalize=normalize, require_labels=False)
    if len(feats) != len(loader.dataset):
        raise RuntimeError(f'extracted {len(feats)} features for {len(loader.dataset)} images of split {split!r}')
    names, name_field = row_names(loader.dataset, indices)
    classes = getattr(loader.dataset, 'metainfo', {}).get('classes')
    return FeatureTable(
        features=feats.numpy().astype(np.float32),
        labels=labels.numpy().astype(np.int64),
        names=names,
        name_field=name_field,
        classes=[str(c) for c in classes] if classes else None,
    )


def _check_out(out: str) -> str:
    """The extension of ``out``, which must be one of ``FORMATS``."""
    ext = osp.splitext(out)[1].lower()
    if ext not in FORMATS:
        raise ValueError(f'--out must end in one of {list(FORMATS)}, got {out!r}')
    return ext


def write_features(table: FeatureTable, out: str) -> List[str]:
    """Write ``table`` to ``out`` (``.npy`` + ``.json`` beside it, or ``.csv``).

    Args:
        table (FeatureTable): What to write.
        out (str): Output file, ending in ``.npy`` or ``.csv``.

    Returns:
        list[str]: The files written.
    """
    ext = _check_out(out)
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    rows = list(zip(table.names, table.labels.tolist()))
    if ext == '.csv':
        dim = table.features.shape[1] if table.features.ndim == 2 else 0
        with open(out, 'w', newline='', encoding='utf-8') as f:
            writer = csv.writer(f)
            writer.writerow([table.name_field, 'label'] + [f'f{i}' for i in range(dim)])
            for (name, label), vec in zip(rows, table.features):
                writer.writerow([name, label] + [format(float(v), '.9g') for v in vec])
        return [out]
    meta = osp.splitext(out)[0] + '.json'
    np.save(out, table.features)
    with open(meta, 'w', encoding='utf-8') as f:
        json.dump(
            dict(classes=table.classes, rows=[{table.name_field: name, 'label': label} for name, label in rows]),
            f,
            indent=1,
        )
    return [out, meta]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Write per-image backbone embeddings of a checkpoint')
    parser.add_argument('config', help='config defining the model and the evaluation dataloaders')
    parser.add_argument('checkpoint', help="checkpoint (full or backbone-only), or 'random'")
    parser.add_argument('--out', required=True, help='output file: FILE.npy (+ FILE.json) or FILE.csv')
    parser.add_argument('--split', choices=sorted(SPLIT_LOADERS), default='test', help='split (default test)')
    parser.add_argument('--batch-size', type=int, help="override the dataloader's batch size")
    parser.add_argument('--no-normalize', action='store_true', help='keep the raw pooled features (no L2 norm)')
    add_folder_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar (on stderr) over the extraction')
    return parser.parse_args(argv)


def add_folder_args(parser: argparse.ArgumentParser) -> None:
    """The ``--folder`` / ``--img-size`` / ``--no-labels`` options shared with ``vis_tsne.py``."""
    parser.add_argument('--folder', help="embed this folder's images instead of the config's split")
    parser.add_argument(
        '--img-size', type=int, help="with --folder: resize side (default: the config's img_size, else 32)"
    )
    parser.add_argument('--no-labels', action='store_true', help='with --folder: ignore class sub-folders')


def main(argv: Optional[List[str]] = None) -> List[str]:
    """Entry point; returns the files written."""
    args = parse_args(argv)
    _check_out(args.out)  # fail before the extraction
    table = extract_split_features(
        args.config,
        args.checkpoint,
        split=args.split,
        batch_size=args.batch_size,
        cfg_options=args.cfg_options,
        normalize=not args.no_normalize,
        folder=args.folder,
        img_size=args.img_size,
        folder_labels=not args.no_labels,
        progress=not args.no_progress,
    )
    written = write_features(table, args.out)
    print(f'extract_features: {table.features.shape[0]} x {table.features.shape[1]} features -> {", ".join(written)}')
    return written


if __name__ == '__main__':
    main()
