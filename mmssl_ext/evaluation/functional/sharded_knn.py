# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Weighted kNN over a bank split across processes: per-shard top-k, a deterministic merge, the vote.

No process holds the whole bank or a ``queries x bank`` similarity matrix: each rank keeps its shard, scores a
block of queries against it, and only the ``k`` best candidates per query and shard travel between ranks.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, all_gather_object, get_dist_info

__all__ = ['PAD_INDEX', 'shard_topk', 'merge_topk', 'knn_vote', 'sharded_knn_predict', 'sharded_topk_accuracy']

#: Global bank index of a padding candidate (a shard with fewer than ``k`` samples); it sorts after every real one.
PAD_INDEX = torch.iinfo(torch.int64).max

Candidates = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _order_candidates(values: torch.Tensor, index: torch.Tensor, labels: torch.Tensor) -> Candidates:
    """Sort each row by similarity (descending), equal similarities by global index (ascending)."""
    by_index = index.argsort(dim=1, stable=True)
    values, index, labels = (t.gather(1, by_index) for t in (values, index, labels))
    values, by_value = values.sort(dim=1, descending=True, stable=True)
    return values, index.gather(1, by_value), labels.gather(1, by_value)


def shard_topk(
    query: torch.Tensor, bank: torch.Tensor, bank_labels: torch.Tensor, bank_index: torch.Tensor, k: int
) -> Candidates:
    """The ``k`` most similar samples of one bank shard for each query, padded to ``k`` columns.

    Similarity is the dot product (the caller normalises). Among equal similarities the lower global index wins,
    also at the cut-off, so the candidates do not depend on how the bank is split or on ``topk``'s tie order.
    (Equal means equal float32 results: matmuls of other block shapes may differ in the last bit.)

    Args:
        query (torch.Tensor): Queries, shape ``[Q, D]``.
        bank (torch.Tensor): This shard's bank features, shape ``[N, D]`` (``N`` may be 0).
        bank_labels (torch.Tensor): Their labels, shape ``[N]``.
        bank_index (torch.Tensor): Their indices in the whole bank, shape ``[N]``, distinct.
        k (int): Candidates per query.

    Returns:
        tuple[torch.Tensor, torch.Tensor, torch.Tensor]: Similarities, global indices and labels, each ``[Q, k]``,
        best first; columns past ``N`` hold ``-inf``, :data:`PAD_INDEX` and label ``-1``.
    """
    num_q, device = query.size(0), bank.device
    bank_index, bank_labels = bank_index.to(device).long(), bank_labels.to(device).long()
    keep = min(k, bank.size(0))
    values = torch.full((num_q, k), float('-inf'), device=device)
    index = torch.full((num_q, k), PAD_INDEX, dtype=torch.long, device=device)
    labels = torch.full((num_q, k), -1, dtype=torch.long, device=device)
    if keep > 0 and num_q > 0:
        sim = query @ bank.T  # [Q, N]: the only block of this size
        top_sim, top_pos = sim.topk(keep, dim=1)
        # More samples as similar as the last one kept than places left: choose among them by global index.
        tied = ((sim >= top_sim[:, -1:]).sum(dim=1) > keep).nonzero().flatten()
        if tied.numel():
            by_index = bank_index.argsort()
            tied_sim, tied_pos = sim[tied][:, by_index].sort(dim=1, descending=True, stable=True)
            top_sim[tied], top_pos[tied] = tied_sim[:, :keep], by_index[tied_pos[:, :keep]]
        values[:, :keep] = top_sim
        index[:, :keep] = bank_index[top_pos]
        labels[:, :keep] = bank_labels[top_pos]
    return _order_candidates(values, index, labels)


def merge_topk(values: torch.Tensor, index: torch.Tensor, labels: torch.Tensor, k: int) -> Candidates:
    """Global top-``k`` of the shards' candidates, concatenated along the columns.

    Args:
        values (torch.Tensor): Similarities, shape ``[Q, M]`` (``M`` = shards x their ``k``).
        index (torch.Tensor): Global bank indices, shape ``[Q, M]``.
        labels (torch.Tensor): Labels, shape ``[Q, M]``.
        k (int): Neighbours to keep, at most ``M``.

    Returns:
        tuple[torch.Tensor, torch.Tensor, torch.Tensor]: The best ``k`` similarities, indices and labels,
        ``[Q, k]`` each, ordered as :func:`shard_topk` orders them.
    """
    values, index, labels = _order_candidates(values, index, labels)
    return values[:, :k], index[:, :k], labels[:, :k]


def knn_vote(top_sim: torch.Tensor, top_labels: torch.Tensor, num_classes: int, temperature: float) -> torch.Tensor:
    """Class scores: each neighbour adds ``exp(s / temperature)`` to its label's column.

    Args:
        top_sim (torch.Tensor): Neighbour similarities, shape ``[Q, k]``.
        top_labels (torch.Tensor): Neighbour labels, shape ``[Q, k]``, each in ``[0, num_classes)``.
        num_classes (int): Number of classes.
        temperature (float): Softness of the vote weights.

    Returns:
        torch.Tensor: Vote scores, shape ``[Q, num_classes]``.
    """
    weights = (top_sim / temperature).exp()
    votes = torch.zeros(top_sim.size(0), num_classes, device=top_sim.device, dtype=weights.dtype)
    return votes.scatter_add_(1, top_labels, weights)


def _own_rows(gathered: List[torch.Tensor], counts: List[int], rank: int) -> torch.Tensor:
    """The rows of every rank's answer that belong to ``rank``'s queries, side by side: ``[n_rank, ranks x k]``."""
    start = sum(counts[:rank])
    return torch.cat([g[start : start + counts[rank]] for g in gathered], dim=1)


def sharded_knn_predict(
    query_feats: torch.Tensor,
    bank_feats: torch.Tensor,
    bank_labels: torch.Tensor,
    bank_index: Optional[torch.Tensor],
    num_classes: int,
    k: int = 200,
    temperature: float = 0.1,
    chunk_size: int = 512,
    normalize: bool = True,
) -> torch.Tensor:
    """Weighted kNN class scores of this rank's queries against a bank sharded over the ranks.

    Every rank calls it with its share of the queries and of the bank (any split, shares may be empty). Queries
    go ``chunk_size`` at a time over all ranks together (``chunk_size // world`` from each, at least one): the
    block is all-gathered, each rank scores it against its shard (:func:`shard_topk`), the ``k`` candidates per
    query and shard are all-gathered and merged (:func:`merge_topk`), and each rank votes for its own queries
    (:func:`knn_vote`). Peak memory per rank is ``chunk_size x len(shard)`` similarities plus
    ``world x chunk_size x k`` candidates. In one process this is the same vote as
    :func:`~mmssl_ext.evaluation.functional.weighted_knn_predict`, with ties broken by the lower bank index.

    Args:
        query_feats (torch.Tensor): This rank's queries, shape ``[Q_r, D]``.
        bank_feats (torch.Tensor): This rank's bank shard, shape ``[N_r, D]``.
        bank_labels (torch.Tensor): Its labels, shape ``[N_r]``.
        bank_index (torch.Tensor, optional): Its indices in the whole bank, distinct over all ranks (they break
            ties). Defaults to None: consecutive, after the shards of the lower ranks.
        num_classes (int): Number of classes.
        k (int): Neighbours per query; capped at the whole bank's size. Defaults to 200.
        temperature (float): Softness of the vote weights. Defaults to 0.1.
        chunk_size (int): Queries per similarity block, over all ranks. Defaults to 512.
        normalize (bool): L2-normalise both feature sets first. Defaults to True.

    Returns:
        torch.Tensor: Vote scores of this rank's queries, shape ``[Q_r, num_classes]``.
    """
    if query_feats.dim() != 2 or bank_feats.dim() != 2 or query_feats.size(1) != bank_feats.size(1):
        raise ValueError(
            'sharded_knn_predict: need [num, dim] features of one dim, got query '
            f'{tuple(query_feats.shape)} and bank {tuple(bank_feats.shape)}'
        )
    if bank_labels.numel() != bank_feats.size(0):
        raise ValueError(f'sharded_knn_predict: {bank_labels.numel()} labels for {bank_feats.size(0)} bank features')
    if k < 1 or temperature <= 0 or chunk_size < 1:
        raise ValueError(
            'sharded_knn_predict: need k >= 1, temperature > 0 and chunk_size >= 1, '
            f'got k={k}, temperature={temperature}, chunk_size={chunk_size}'
        )
    rank, world = get_dist_info()
    bank = bank_feats.float()
    device = bank.device
    query = query_feats.float().to(device)
    if normalize:
        bank, query = F.normalize(bank, dim=1), F.normalize(query, dim=1)
    sizes = torch.tensor([bank.size(0), query.size(0)], device=device)
    bank_sizes, query_sizes = torch.stack(all_gather(sizes)).cpu().T.tolist()
    if sum(bank_sizes) == 0:
        raise ValueError('sharded_knn_predict: the bank is empty on every rank')
    if bank_index is None:
        bank_index = torch.arange(bank.size(0), device=device) + sum(bank_sizes[:rank])
    bank_index = bank_index.to(device).long()
    k = min(k, sum(bank_sizes))
    step = max(1, chunk_size // world)
    scores = []
    for start in range(0, max(query_sizes), step):
        counts = [max(0, min(step, n - start)) for n in query_sizes]
        block = query[start : start + step]
        if world > 1:  # equal shapes for all_gather: pad, gather, drop the padding
            padded = torch.cat([block, block.new_zeros(step - block.size(0), block.size(1))])
            block = torch.cat([p[:c] for p, c in zip(all_gather(padded), counts)])  # every rank's queries
        candidates = shard_topk(block, bank, bank_labels, bank_index, k)
        gathered = [all_gather(t) if world > 1 else [t] for t in candidates]
        own_sim, own_index, own_labels = (_own_rows(g, counts, rank) for g in gathered)
        top_sim, _, top_labels = merge_topk(own_sim, own_index, own_labels, k)
        scores.append(knn_vote(top_sim, top_labels, num_classes, temperature))
    if not scores:
        return torch.zeros(0, num_classes, device=device)
    return torch.cat(scores)


def sharded_topk_accuracy(
    scores: torch.Tensor,
    labels: torch.Tensor,
    index: torch.Tensor,
    topk: Sequence[int] = (1, 5),
    prefix: str = 'knn',
) -> Dict[str, float]:
    """Top-k accuracies (percent) of the whole query split from each rank's vote scores.

    Each rank's hits (not its scores) are gathered and put back in split order before averaging, so the figures
    are computed exactly as :class:`~mmssl_ext.evaluation.KNNAccuracy` computes them in one process.

    Args:
        scores (torch.Tensor): This rank's vote scores, ``[Q_r, C]`` (:func:`sharded_knn_predict`).
        labels (torch.Tensor): Their labels, ``[Q_r]``.
        index (torch.Tensor): Their indices in the query split, ``[Q_r]``, distinct over all ranks.
        topk (Sequence[int]): Accuracies to report. Defaults to (1, 5).
        prefix (str): Metric name prefix. Defaults to 'knn'.

    Returns:
        dict[str, float]: e.g. ``{'knn/top1': .., 'knn/top5': ..}``, the same on every rank.
    """
    ranked = scores.topk(min(max(topk), scores.size(1)), dim=1).indices.cpu()
    hits = ranked == labels.reshape(-1, 1).long().cpu()
    local = torch.stack([hits[:, :t].any(dim=1) for t in topk], dim=1)  # [Q_r, len(topk)]
    parts = all_gather_object((index.cpu().long(), local))
    rows = torch.cat([p[0] for p in parts])
    table = torch.zeros(len(rows), len(topk), dtype=torch.bool)
    table[rows] = torch.cat([p[1] for p in parts])
    return {f'{prefix}/top{t}': float(table[:, i].float().mean() * 100) for i, t in enumerate(topk)}
