# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Check that every image a config reads can be loaded, before a long run finds a bad one.

``python tools/misc/verify_dataset.py CONFIG [--split {train,val,test,all} ...] [--cfg-options ...]
[--num-workers N] [--out-list FILE]``

Builds the datasets of ``train_dataloader``, ``val_dataloader``, ``test_dataloader`` and the dataloaders held by
``custom_hooks`` and ``val_evaluator`` / ``test_evaluator`` (the kNN bank and query sets), then runs each sample
through the dataset's loading transform only (the first ``Load*Image*`` step of its pipeline, no augmentation).
Prints ``<dataloader key>: N images, K unreadable`` per dataloader and every unreadable image with its error
(also written to ``--out-list``, one ``path<TAB>error`` line each). Exit status 0 when every image loads, 1 when
some do not, 2 when the config names no dataloader for the split or a dataset cannot be built.
The hooks' dataloaders belong to ``--split train`` (the training run reads them), the evaluators' to their split.
"""

import argparse
import os.path as osp
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.registry import DATASETS  # noqa: E402
from mmssl_ext.utils import register_all_modules  # noqa: E402
from mmssl_ext.utils.config import load_config  # noqa: E402

SPLITS = ('train', 'val', 'test')
#: Where each split's dataloaders live: the top-level dataloader and the config nodes whose ``*_dataloader``
#: entries are searched.
_SPLIT_SOURCES = {
    'train': ('train_dataloader', 'custom_hooks'),
    'val': ('val_dataloader', 'val_evaluator'),
    'test': ('test_dataloader', 'test_evaluator'),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Load every image of the datasets a config names')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--split', nargs='+', choices=[*SPLITS, 'all'], default=['all'], help='which dataloaders (default all)'
    )
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, key=value')
    parser.add_argument('--num-workers', type=int, default=0, help='loading processes (default 0: this process)')
    parser.add_argument('--out-list', help='also write the unreadable images here, one "path<TAB>error" a line')
    args = parser.parse_args(argv)
    if args.num_workers < 0:
        parser.error(f'--num-workers must be >= 0, got {args.num_workers}')
    return args


def find_dataloaders(cfg: Config, splits: Sequence[str] = ('all',)) -> Dict[str, dict]:
    """The dataloader configs of ``splits``, keyed by their dotted place in the config.

    Args:
        cfg (Config): The config.
        splits (Sequence[str]): Any of ``'train'``, ``'val'``, ``'test'``, ``'all'``. Defaults to ('all',).

    Returns:
        dict[str, dict]: E.g. ``{'train_dataloader': ..., 'custom_hooks.0.bank_dataloader': ...}``.
    """
    unknown = [s for s in splits if s not in (*SPLITS, 'all')]
    if unknown:
        raise ValueError(f"verify_dataset: split must be one of {(*SPLITS, 'all')}, got {unknown}")
    chosen = SPLITS if 'all' in splits else [s for s in SPLITS if s in splits]
    found: Dict[str, dict] = {}
    for split in chosen:
        loader_key, holder_key = _SPLIT_SOURCES[split]
        if isinstance(cfg.get(loader_key), dict):
            found[loader_key] = cfg[loader_key]
        holders = cfg.get(holder_key) or []
        if isinstance(holders, (list, tuple)):  # custom_hooks, a list of evaluators
            items = [(f'{holder_key}.{i}', holder) for i, holder in enumerate(holders)]
        else:
            items = [(holder_key, holders)]
        for prefix, holder in items:
            if not isinstance(holder, dict):
                continue
            for key, value in holder.items():
                if key.endswith('_dataloader') and isinstance(value, dict) and 'dataset' in value:
                    found[f'{prefix}.{key}'] = value
    return found


def leaf_datasets(dataset: Any) -> Iterator[Any]:
    """The datasets holding samples and a pipeline, under any wrappers (repeat, concat, bad-sample policy).

    Args:
        dataset (Any): A built dataset.

    Yields:
        Any: Each dataset with ``get_data_info`` and ``pipeline``, once.
    """
    if hasattr(dataset, 'datasets'):
        for inner in dataset.datasets:
            yield from leaf_datasets(inner)
    elif hasattr(dataset, 'dataset') and not hasattr(dataset, 'pipeline'):
        yield from leaf_datasets(dataset.dataset)
    else:
        yield dataset


def loading_transform(dataset: Any) -> Optional[Callable]:
    """The first image-loading step of the dataset's pipeline (``LoadImageFromFile`` and the like), or None.

    Args:
        dataset (Any): A dataset with a ``pipeline`` (an mmengine ``Compose``).

    Returns:
        Callable, optional: The transform, or None when the pipeline loads no image.
    """
    for transform in getattr(dataset.pipeline, 'transforms', []):
        name = type(transform).__name__
        if name.startswith('Load') and 'Image' in name:
            return transform
    return None


class _LoadCheck(Dataset):
    """Runs the loading transform on each sample; an item is ``(path, error or None)``.

    Args:
        dataset (Any): A dataset with ``get_data_info`` and ``pipeline``.
        key (str): Its dataloader's key, naming samples that have no file.
    """

    def __init__(self, dataset: Any, key: str) -> None:
        self.dataset = dataset
        self.key = key
        self.load = loading_transform(dataset)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Tuple[str, Optional[str]]:
        info = self.dataset.get_data_info(index)
        path = str(info.get('img_path') or f'<{self.key} sample {index}>')
        if self.load is None:  # no loading step: the dataset must hold the image itself
            return path, None if info.get('img') is not None else 'no image-loading transform and no in-memory img'
        try:
            result = self.load(info)
        except Exception as err:  # every decoder and file system raises its own types
            return path, f'{type(err).__name__}: {err}'
        if result is None or result.get('img') is None:
            return path, 'the loading transform returned no image (ignore_empty?)'
        return path, None


def _first(batch: List[Any]) -> Any:
    """Collate function of batch size 1: the item itself."""
    return batch[0]


def check_dataset(dataset: Any, key: str, num_workers: int = 0) -> Tuple[int, List[Tuple[str, str]]]:
    """Load every image of ``dataset`` with its loading transform.

    Args:
        dataset (Any): A built dataset (wrappers are looked through).
        key (str): Its dataloader's key, for the progress line and in-memory sample names.
        num_workers (int): Loading processes; 0 loads in this process. Defaults to 0.

    Returns:
        tuple[int, list[tuple[str, str]]]: The number of images and the ``(path, error)`` of each unreadable one.
    """
    total, bad = 0, []
    for leaf in leaf_datasets(dataset):
        check = _LoadCheck(leaf, key)
        total += len(check)
        loader = DataLoader(check, batch_size=1, num_workers=num_workers, collate_fn=_first)
        progress = ProgressBar(len(check), file=sys.stderr)
        for path, error in loader:
            if error is not None:
                bad.append((path, error))
            progress.update()
        sys.stderr.write('\n')
    return total, bad


def verify(
    cfg: Config, splits: Sequence[str] = ('all',), num_workers: int = 0
) -> Dict[str, Tuple[int, List[Tuple[str, str]]]]:
    """Build every dataset of ``splits`` and load all their images.

    Args:
        cfg (Config): The config.
        splits (Sequence[str]): Any of ``'train'``, ``'val'``, ``'test'``, ``'all'``. Defaults to ('all',).
        num_workers (int): Loading processes per dataset. Defaults to 0.

    Returns:
        dict[str, tuple[int, list[tuple[str, str]]]]: Per dataloader key, the image count and the unreadable ones.
    """
    loaders = find_dataloaders(cfg, splits)
    if not loaders:
        searched = [k for s in (SPLITS if 'all' in splits else splits) for k in _SPLIT_SOURCES[s]]
        raise ValueError(
            f'verify_dataset: {cfg.filename} has no dataloader with a dataset for --split {" ".join(splits)} '
            f'(looked in {", ".join(searched)})'
        )
    reports = {}
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmssl_ext')):
        for key, loader in loaders.items():
            try:
                dataset = DATASETS.build(loader['dataset'])
            except Exception as err:
                raise RuntimeError(f'verify_dataset: cannot build the dataset of {key}: {err}') from err
            reports[key] = check_dataset(dataset, key, num_workers)
    return reports


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status (0: every image loads, 1: some do not, 2: no dataset to check)."""
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options)
    try:
        reports = verify(cfg, args.split, args.num_workers)
    except (ValueError, RuntimeError) as err:  # no dataloader, or a dataset that cannot be built: not an image
        print(err, file=sys.stderr)
        return 2
    unreadable = []
    for key, (total, bad) in reports.items():
        print(f'{key}: {total} images, {len(bad)} unreadable')
        unreadable += bad
    if unreadable:
        print(f'unreadable images ({len(unreadable)}):')
        for path, error in unreadable:
            print(f'  {path}: {error}')
    if args.out_list:
        with open(args.out_list, 'w', encoding='utf-8') as f:
            f.writelines(f'{path}\t{error}\n' for path, error in unreadable)
    return 1 if unreadable else 0


if __name__ == '__main__':
    sys.exit(main())
