# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Weighted k-nearest-neighbour classification (InstDisc protocol), chunked over queries."""

import torch
import torch.nn.functional as F

__all__ = ['weighted_knn_predict']


def weighted_knn_predict(
    query_feats: torch.Tensor,
    bank_feats: torch.Tensor,
    bank_labels: torch.Tensor,
    num_classes: int,
    k: int = 200,
    temperature: float = 0.1,
    chunk_size: int = 512,
    normalize: bool = True,
) -> torch.Tensor:
    """Class scores of a weighted kNN vote over cosine similarities.

    Each query takes its ``k`` most similar bank features; neighbour ``j`` votes for its label with
    weight ``exp(s_j / temperature)``. This is the protocol of Wu et al. (InstDisc, arXiv:1805.01978)
    used by lightly's and solo-learn's benchmarks. Queries are processed ``chunk_size`` at a time, so
    peak memory is ``chunk_size x len(bank)`` similarities, whatever the number of queries.

    Args:
        query_feats (torch.Tensor): Query features, shape ``[Q, D]``.
        bank_feats (torch.Tensor): Bank (training) features, shape ``[N, D]``.
        bank_labels (torch.Tensor): Integer labels of the bank, shape ``[N]``.
        num_classes (int): Number of classes.
        k (int): Neighbours per query; capped at ``N``. Defaults to 200.
        temperature (float): Softness of the vote weights. Defaults to 0.1.
        chunk_size (int): Queries per similarity block. Defaults to 512.
        normalize (bool): L2-normalise both feature sets first. Defaults to True.

    Returns:
        torch.Tensor: Vote scores, shape ``[Q, num_classes]`` (argmax is the prediction).
    """
    if query_feats.dim() != 2 or bank_feats.dim() != 2:
        raise ValueError(
            'weighted_knn_predict: query_feats and bank_feats must be [num, dim], got '
            f'{tuple(query_feats.shape)} and {tuple(bank_feats.shape)}'
        )
    if query_feats.size(1) != bank_feats.size(1):
        raise ValueError(
            f'weighted_knn_predict: feature dims differ: query {query_feats.size(1)} ' f'vs bank {bank_feats.size(1)}'
        )
    if bank_labels.numel() != bank_feats.size(0):
        raise ValueError(
            f'weighted_knn_predict: {bank_labels.numel()} bank labels for ' f'{bank_feats.size(0)} bank features'
        )
    if k < 1 or temperature <= 0 or chunk_size < 1:
        raise ValueError(
            f'weighted_knn_predict: need k >= 1, temperature > 0 and chunk_size >= 1, '
            f'got k={k}, temperature={temperature}, chunk_size={chunk_size}'
        )
    bank = bank_feats.float()
    query = query_feats.float().to(bank.device)
    if normalize:
        bank = F.normalize(bank, dim=1)
        query = F.normalize(query, dim=1)
    labels = bank_labels.to(bank.device).long()
    k = min(k, bank.size(0))
    scores = []
    for start in range(0, query.size(0), chunk_size):
        sim = query[start : start + chunk_size] @ bank.T  # [c, N]
        top_sim, top_idx = sim.topk(k, dim=1)  # [c, k]
        weights = (top_sim / temperature).exp()
        votes = torch.zeros(top_idx.size(0), num_classes, device=bank.device, dtype=weights.dtype)
        votes.scatter_add_(1, labels[top_idx], weights)
        scores.append(votes)
    if not scores:
        return torch.zeros(0, num_classes)
    return torch.cat(scores)
