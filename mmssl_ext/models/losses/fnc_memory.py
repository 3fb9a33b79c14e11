# Copyright (c) mmssl_ext contributors. All rights reserved.
"""FNC's memory-bank form (the official default, ``memory_multiplier > 0``): anchors against a bank of EMA features."""

import torch

__all__ = ['fnc_memory_loss']


def fnc_memory_loss(
    anchors: torch.Tensor,
    memory_features: torch.Tensor,
    memory: torch.Tensor,
    own_columns: torch.Tensor,
    temperature: float = 0.1,
    topk: int = 10,
    threshold: float = 0.7,
    mode: str = 'attract',
) -> torch.Tensor:
    r"""False negative cancellation against a memory bank, as google-research/fnc ``add_contrastive_loss_with_memory``.

    With ``s_c = a . m_c / tau`` for an anchor view ``a`` of sample ``i`` and every bank column ``c``:

    * the anchor's own column ``own(i, a)`` (its EMA twin) leaves the denominator; the other ``V - 1`` own columns
      are the positives (they stay in the denominator, as in SimCLR);
    * ``F_i``: the bank columns, other than the sample's own ones, among the ``topk`` best of
      ``max_v e_{i,v} . m_c`` (the sample's EMA views ``e``) that exceed ``threshold``, shared by its views;
    * ``mode='attract'``: ``l_ia = -(sum_{p in own - a} s_p + sum_{f in F_i} s_f) / (V - 1 + |F_i|)
      + lse_{c != own(i,a)} s_c``; ``mode='eliminate'`` (the paper's other strategy):
      ``-mean_{p in own - a} s_p + lse_{c != own(i,a), c not in F_i} s_c``;
    * the loss is ``(2 / V) sum_a mean_i l_ia`` (the SimCLR TF convention of the released code).

    Columns the bank has not been written to yet are zeros, as in the official code: they enter the denominator
    with ``exp(0)``.

    Args:
        anchors (torch.Tensor): ``[B, V, D]`` normalised online features of the local samples (with gradient).
        memory_features (torch.Tensor): ``[B, V, D]`` normalised EMA features of the same views (detection only).
        memory (torch.Tensor): ``[N, D]`` bank, already holding the current batch's EMA features.
        own_columns (torch.Tensor): ``[B, V]`` long, the bank column of sample ``i``'s view ``v``.
        temperature (float): Softmax temperature. Defaults to 0.1.
        topk (int): Detection candidates per sample. Defaults to 10.
        threshold (float): Detection score threshold. Defaults to 0.7.
        mode (str): ``'attract'`` or ``'eliminate'``. Defaults to 'attract'.

    Returns:
        torch.Tensor: Scalar loss.
    """
    batch, views, _ = anchors.shape
    num_cols = memory.shape[0]
    memory = memory.detach().to(anchors.dtype)
    rows = torch.arange(batch, device=anchors.device)[:, None]
    with torch.no_grad():
        own = torch.zeros(batch, num_cols, dtype=torch.bool, device=anchors.device)
        own[rows, own_columns] = True
        score = torch.einsum('bvd,nd->bvn', memory_features.detach().to(memory.dtype), memory).amax(1)
        score = score.masked_fill(own, float('-inf'))
        false_neg = torch.zeros_like(own)
        k = min(topk, num_cols)
        if k > 0:
            vals, idx = score.topk(k, dim=1)
            false_neg[rows, idx] = vals > threshold
        num_false = false_neg.sum(1).to(anchors.dtype)
    total = anchors.new_zeros(())
    for a in range(views):
        logits = anchors[:, a] @ memory.T / temperature
        self_col = torch.zeros_like(own)
        self_col[rows[:, 0], own_columns[:, a]] = True
        positives = own & ~self_col
        excluded = self_col | false_neg if mode == 'eliminate' else self_col
        log_denominator = torch.logsumexp(logits.masked_fill(excluded, float('-inf')), dim=1)
        if mode == 'attract':
            numerator = (logits * (positives | false_neg)).sum(1) / (views - 1 + num_false)
        else:
            numerator = (logits * positives).sum(1) / (views - 1)
        total = total + (log_denominator - numerator).mean()
    return total * 2.0 / views
