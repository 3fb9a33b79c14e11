# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Offline weighted-kNN evaluation of a checkpoint's backbone.

``python tools/analysis_tools/knn_eval.py CONFIG CHECKPOINT [--k 200] [--temperature 0.1]``

The bank and query splits are the config's ``knn_bank_dataloader`` / ``knn_query_dataloader``
(every mmssl_ext dataset base defines them). ``CHECKPOINT`` may be a full mmssl_ext checkpoint or an
extracted backbone file; ``random`` evaluates the randomly initialised backbone.

Distributed: ``torchrun --nproc_per_node N tools/analysis_tools/knn_eval.py CONFIG CHECKPOINT --launcher pytorch``
(gloo on a machine without CUDA). Each rank embeds every N-th image of both splits (no padding duplicates) and keeps
its bank shard; queries go ``--query-chunk`` at a time against every shard and only each shard's top-k candidates
are exchanged (:func:`~mmssl_ext.evaluation.sharded_knn_predict`), so the figures equal the one-process run's.
"""

import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.dist import all_gather_object, broadcast, get_dist_info, init_dist
from mmengine.registry import DefaultScope
from mmengine.runner import set_random_seed
from mmengine.runner.checkpoint import _load_checkpoint
from mmengine.utils import ProgressBar

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.evaluation import (  # noqa: E402
    build_eval_dataloader,
    extract_backbone_features,
    extract_local_features,
    sharded_knn_predict,
    sharded_topk_accuracy,
)
from mmssl_ext.registry import MODELS  # noqa: E402
from mmssl_ext.utils import register_all_modules, setup_cpu_distributed  # noqa: E402

LOADER_KEYS = ('knn_bank_dataloader', 'knn_query_dataloader')
TOPK = (1, 5)


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
    parser.add_argument(
        '--query-chunk',
        type=int,
        default=512,
        help='queries per similarity block over all ranks; memory is chunk x bank shard (default 512)',
    )
    parser.add_argument('--no-progress', action='store_true', help='no progress bar (rank 0, on stderr)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


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
    cfg = _load_config(config, cfg_options)
    loaders = _loader_cfgs(cfg, config, batch_size)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmssl_ext')):
        model = build_model(cfg, checkpoint)
        bank_loader, query_loader = (
            build_eval_dataloader(cfg_, size) for cfg_, size in zip(loaders, (bank_size, query_size))
        )
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
    query_chunk: int = 512,
    progress: bool = False,
) -> Dict[str, float]:
    """Build the config's model, load ``checkpoint`` and return ``{'knn/top1': .., 'knn/top5': ..}``.

    In a distributed run (the process group already initialised) each rank embeds its share of the bank and of the
    queries and keeps it; the vote is :func:`~mmssl_ext.evaluation.sharded_knn_predict` over the shards, and every
    rank returns the figures of the whole query split, equal to the one-process ones.

    Args:
        config (str): Config file defining ``model`` and the two dataloaders.
        checkpoint (str): Full or backbone-only checkpoint, or ``'random'``.
        k (int): Neighbours. Defaults to 200.
        temperature (float): Vote temperature. Defaults to 0.1.
        bank_size (int, optional): Bank images, spread evenly over the split. Defaults to None (all).
        query_size (int, optional): Query images, spread evenly over the split. Defaults to None (all).
        batch_size (int, optional): Override the dataloaders' batch size. Defaults to None.
        cfg_options (dict, optional): Config overrides. Defaults to None.
        query_chunk (int): Queries per similarity block, over all ranks. Defaults to 512.
        progress (bool): Show a progress bar with ETA of the extraction on rank 0 (stderr). Defaults to False.

    Returns:
        dict[str, float]: Top-1 and top-5 accuracy in percent.
    """
    register_all_modules(init_default_scope=False)
    cfg = _load_config(config, cfg_options)
    loaders = _loader_cfgs(cfg, config, batch_size, shard=True)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmssl_ext')):
        model = build_model(cfg, checkpoint)
        bank_loader, query_loader = (build_eval_dataloader(c, n) for c, n in zip(loaders, (bank_size, query_size)))
        bar = _progress_bar(len(bank_loader.sampler) + len(query_loader.sampler)) if progress else None
        on_batch = bar.update if bar is not None else None
        bank_feats, bank_labels = extract_local_features(model, bank_loader, on_batch=on_batch)
        query_feats, query_labels = extract_local_features(model, query_loader, on_batch=on_batch)
        if bar is not None:
            bar.file.write('\n')
    bank_index = torch.tensor(list(bank_loader.sampler), dtype=torch.long)
    query_index = torch.tensor(list(query_loader.sampler), dtype=torch.long)
    # as KNNAccuracy infers it: the largest label of either split, over every rank
    local_max = max([int(t.max()) for t in (bank_labels, query_labels) if t.numel()], default=-1)
    num_classes = max(all_gather_object(local_max)) + 1
    scores = sharded_knn_predict(
        query_feats, bank_feats, bank_labels, bank_index, num_classes, k, temperature, chunk_size=query_chunk
    )
    return sharded_topk_accuracy(scores, query_labels, query_index, TOPK)


def build_model(cfg: Config, checkpoint: str) -> torch.nn.Module:
    """The config's model with ``checkpoint``'s backbone (or, for ``'random'``, its own initialisation).

    Call it inside the config's default scope. In a distributed run a random initialisation is broadcast from
    rank 0, so every rank embeds with the same weights.

    Args:
        cfg (Config): The loaded config.
        checkpoint (str): Full or backbone-only checkpoint, or ``'random'``.

    Returns:
        torch.nn.Module: The model (on the CPU).
    """
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:  # as the Runner does: top-level preprocessor -> model
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    model.init_weights()
    if checkpoint != 'random':
        load_backbone_weights(model, checkpoint)
    elif get_dist_info()[1] > 1:
        for tensor in model.state_dict().values():
            broadcast(tensor, src=0)
    return model


def init_launcher(cfg: Config, launcher: str) -> bool:
    """Initialise the process group for ``--launcher`` (gloo without CUDA, as ``tools/test.py`` does).

    Args:
        cfg (Config): The config; ``env_cfg.dist_cfg`` gives the backend on GPUs (nccl when unset).
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        bool: True when this call initialised the process group (the caller then destroys it).
    """
    if launcher == 'none' or torch_dist.is_initialized():
        return False
    if not setup_cpu_distributed(cfg, launcher):
        init_dist(launcher, **(cfg.get('env_cfg') or {}).get('dist_cfg', {}))
    return True


def _load_config(config: str, cfg_options: Optional[dict]) -> Config:
    """``config`` with the ``--cfg-options`` overrides."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _loader_cfgs(cfg: Config, config: str, batch_size: Optional[int], shard: bool = False) -> List[dict]:
    """The bank and query dataloader configs; with ``shard``, each rank reads every N-th sample, unpadded."""
    loaders = []
    for key in LOADER_KEYS:
        if cfg.get(key) is None:
            raise KeyError(
                f'{config} defines no `{key}`; add one (see configs/_base_/datasets/*) or pass it with --cfg-options'
            )
        loader = cfg[key]
        if batch_size is not None:
            loader.batch_size = batch_size
        if shard:  # DefaultSampler without round-up: rank r takes r, r + N, ... and nothing twice
            loader = dict(loader, sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))
        loaders.append(loader)
    return loaders


def _progress_bar(total: int) -> Optional[ProgressBar]:
    """A ``done/total, elapsed, ETA`` bar on rank 0's stderr (rank 0 embeds ``total`` images); None elsewhere."""
    if get_dist_info()[0] != 0:
        return None
    print(f'knn_eval: embedding {total} images (bank + queries) on rank 0', file=sys.stderr)
    return ProgressBar(total, file=sys.stderr)


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
    """Entry point; returns the metrics (on every rank of a distributed run)."""
    args = parse_args(argv)
    if args.query_chunk < 1:
        raise ValueError(f'--query-chunk must be >= 1, got {args.query_chunk}')
    started = init_launcher(_load_config(args.config, args.cfg_options), args.launcher)
    try:
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
            query_chunk=args.query_chunk,
            progress=not args.no_progress,
        )
        rank, world_size = get_dist_info()
        if rank == 0:
            print(json.dumps({'checkpoint': args.checkpoint, 'k': args.k, 'temperature': args.temperature, **metrics}))
            if args.out:
                with open(args.out, 'w', encoding='utf-8') as f:
                    json.dump({**metrics, 'world_size': world_size}, f, indent=2)
    finally:
        if started:
            torch_dist.destroy_process_group()
    return metrics


if __name__ == '__main__':
    main()
