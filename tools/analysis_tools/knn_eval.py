# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Offline weighted-kNN evaluation of a checkpoint's backbone.

``python tools/analysis_tools/knn_eval.py CONFIG CHECKPOINT [--k 200] [--temperature 0.1]``

The bank and query splits are the config's ``knn_bank_dataloader`` / ``knn_query_dataloader``
(every mmssl_ext dataset base defines them). ``CHECKPOINT`` may be a full mmssl_ext checkpoint or an
extracted backbone file; ``random`` evaluates the randomly initialised backbone.
"""

import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.runner import set_random_seed
from mmengine.runner.checkpoint import _load_checkpoint

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.evaluation import KNNAccuracy, build_eval_dataloader, extract_backbone_features  # noqa: E402
from mmssl_ext.registry import MODELS  # noqa: E402
from mmssl_ext.utils import register_all_modules  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Offline weighted kNN evaluation of a backbone')
    parser.add_argument('config', help='pre-training config (defines knn_bank_dataloader / knn_query_dataloader)')
    parser.add_argument('checkpoint', help="checkpoint (full or backbone-only), or 'random'")
    parser.add_argument('--k', type=int, default=200, help='neighbours (default 200)')
    parser.add_argument('--temperature', type=float, default=0.1, help='vote temperature (default 0.1)')
    parser.add_argument('--bank-size', type=int, help='use N bank images spread evenly over the split')
    parser.add_argument('--query-size', type=int, help='use N query images spread evenly over the split')
    parser.add_argument('--batch-size', type=int, help="override the dataloaders' batch size")
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--seed', type=int, default=0, help="random seed, which fixes the 'random' initialisation (default 0)"
    )
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def split_features(
    config: str,
    checkpoint: str,
    bank_size: Optional[int] = None,
    query_size: Optional[int] = None,
    batch_size: Optional[int] = None,
    cfg_options: Optional[dict] = None,
    normalize: bool = True,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, Optional[int]]:
    """Backbone features of the config's ``knn_bank_dataloader`` and ``knn_query_dataloader`` splits.

    Args:
        config (str): Config file defining ``model`` and the two dataloaders.
        checkpoint (str): Full or backbone-only checkpoint, or ``'random'``.
        bank_size (int, optional): Bank images, spread evenly over the split. Defaults to None (all).
        query_size (int, optional): Query images, spread evenly over the split. Defaults to None (all).
        batch_size (int, optional): Override the dataloaders' batch size. Defaults to None.
        cfg_options (dict, optional): Config overrides. Defaults to None.
        normalize (bool): L2-normalise the pooled features. Defaults to True.

    Returns:
        tuple: bank features, bank labels, query features, query labels, and the number of classes of
        the bank dataset (``None`` when its metainfo has no class list).
    """
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    loaders = []
    for key, size in (('knn_bank_dataloader', bank_size), ('knn_query_dataloader', query_size)):
        if cfg.get(key) is None:
            raise KeyError(
                f'{config} defines no `{key}`; add one (see configs/_base_/datasets/*) or ' 'pass it with --cfg-options'
            )
        loader = cfg[key]
        if batch_size is not None:
            loader.batch_size = batch_size
        loaders.append((loader, size))
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmssl_ext')):
        model_cfg = cfg.model.copy()
        if cfg.get('data_preprocessor') is not None:  # as the Runner does: top-level preprocessor -> model
            model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
        model = MODELS.build(model_cfg)
        model.init_weights()
        if checkpoint != 'random':
            load_backbone_weights(model, checkpoint)
        bank_loader, query_loader = (build_eval_dataloader(loader, size) for loader, size in loaders)
        # extract_backbone_features switches the model to eval mode
        bank_feats, bank_labels = extract_backbone_features(model, bank_loader, normalize=normalize)
        query_feats, query_labels = extract_backbone_features(model, query_loader, normalize=normalize)
    classes = getattr(bank_loader.dataset, 'metainfo', {}).get('classes')
    return bank_feats, bank_labels, query_feats, query_labels, (len(classes) if classes else None)


def knn_eval(
    config: str,
    checkpoint: str,
    k: int = 200,
    temperature: float = 0.1,
    bank_size: Optional[int] = None,
    query_size: Optional[int] = None,
    batch_size: Optional[int] = None,
    cfg_options: Optional[dict] = None,
) -> Dict[str, float]:
    """Build the config's model, load ``checkpoint`` and return ``{'knn/top1': .., 'knn/top5': ..}``."""
    bank_feats, bank_labels, query_feats, query_labels, _ = split_features(
        config, checkpoint, bank_size, query_size, batch_size, cfg_options
    )
    return KNNAccuracy(k=k, temperature=temperature).score(bank_feats, bank_labels, query_feats, query_labels)


def load_backbone_weights(model: torch.nn.Module, path: str) -> None:
    """Load the backbone from a full checkpoint (``backbone.*`` keys) or a backbone-only file.

    Raises:
        KeyError: When the checkpoint does not cover every backbone weight, listing what is missing.
    """
    state = _load_checkpoint(path, map_location='cpu')
    state = state.get('state_dict', state)
    state = {k[len('module.') :] if k.startswith('module.') else k: v for k, v in state.items()}
    if any(k.startswith('backbone.') for k in state):
        state = {k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')}
    result = model.backbone.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise KeyError(
            f"{path} does not match the config's backbone: {len(result.missing_keys)} backbone "
            f'weights missing (e.g. {result.missing_keys[:5]}); checkpoint keys start with '
            f'{list(state)[:3]}'
        )
    if result.unexpected_keys:
        print(f'knn_eval: ignored {len(result.unexpected_keys)} unexpected keys, e.g. {result.unexpected_keys[:3]}')


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    """Entry point; returns the metrics."""
    args = parse_args(argv)
    set_random_seed(args.seed)
    metrics = knn_eval(
        args.config,
        args.checkpoint,
        args.k,
        args.temperature,
        args.bank_size,
        args.query_size,
        args.batch_size,
        args.cfg_options,
    )
    print(json.dumps({'checkpoint': args.checkpoint, 'k': args.k, 'temperature': args.temperature, **metrics}))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(metrics, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
