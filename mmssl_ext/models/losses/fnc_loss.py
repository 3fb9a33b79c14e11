# Copyright (c) mmssl_ext contributors. All rights reserved.
"""False negative cancellation (FNC): detection over support views, attraction or elimination."""

from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .fnc_memory import fnc_memory_loss
from .kernels import ContrastSet, contrastive_loss
from .utils import check_features, check_temperature

__all__ = ['FNCLoss', 'detect_false_negatives']


@torch.no_grad()
def detect_false_negatives(
    features: torch.Tensor,
    contrast: torch.Tensor,
    sample_offset: int,
    global_batch: int,
    topk: int,
    threshold: float,
    chunk_size: int = 256,
) -> torch.Tensor:
    """Columns of likely false negatives per local sample.

    Sample ``i`` scores every contrast column ``c`` by ``max_v z_{i,v} . z_c`` (its own views masked);
    ``F_i`` are the columns among its ``topk`` best scores that exceed ``threshold``.

    Args:
        features (torch.Tensor): ``[B, V, D]`` local normalised features.
        contrast (torch.Tensor): ``[V * B_global, D]`` view-major contrast set.
        sample_offset (int): Global index of the first local sample.
        global_batch (int): Samples over all ranks.
        topk (int): Candidates per sample.
        threshold (float): Minimum score.
        chunk_size (int): Samples per block. Defaults to 256.

    Returns:
        torch.Tensor: ``[B, topk]`` long column indices, ``-1`` where nothing is detected.
    """
    batch, views, _ = features.shape
    num_cols = contrast.shape[0]
    k = min(topk, num_cols)
    out = torch.full((batch, max(k, 0)), -1, dtype=torch.long, device=features.device)
    if k <= 0:
        return out
    col_sample = torch.arange(num_cols, device=features.device) % global_batch
    for start in range(0, batch, chunk_size):
        end = min(start + chunk_size, batch)
        f = features[start:end].to(contrast.dtype)
        score = torch.einsum('bvd,nd->bvn', f, contrast).amax(1)
        own = col_sample[None, :] == (torch.arange(start, end, device=f.device) + sample_offset)[:, None]
        score = score.masked_fill(own, float('-inf'))
        vals, idx = score.topk(k, dim=1)
        out[start:end] = torch.where(vals > threshold, idx, torch.full_like(idx, -1))
    return out


@MODELS.register_module()
class FNCLoss(nn.Module):
    """False Negative Cancellation (FNC), Huynh et al., arXiv:2011.11765 (WACV 2022).

    Paper: Boosting Contrastive Self-Supervised Learning with False Negative Cancellation.

    Every view of every sample is an anchor (the two main views and the ``support_size`` support views
    of the official code). False negatives ``F_i`` of sample ``i`` are detected once per sample
    (:func:`detect_false_negatives`) and shared by its views. ``mode='attract'`` (the released code)
    adds them to the positives: ``l_ia = -sum_{p in pos} s_ap / tau / (V - 1 + |F_i|) + lse_{c != a}
    s_ac / tau``; ``mode='eliminate'`` (the paper's other strategy) removes them from the denominator.
    ``reduction='simclr'`` returns ``(2 / V) sum_a mean_i l_ia`` (= twice the mean; the SimCLR TF
    convention), ``'mean'`` the mean over anchors. ``threshold > 1`` or ``topk = 0`` is SimCLR.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        mode (str): ``'attract'`` or ``'eliminate'``. Defaults to 'attract'.
        topk (int): Detection candidates per sample. Defaults to 10.
        threshold (float): Detection score threshold. Defaults to 0.7.
        reduction (str): ``'simclr'`` or ``'mean'``. Defaults to 'simclr'.
        gather_distributed (bool): Negatives and detection over every rank. Defaults to False.
        chunk_size (int, optional): Anchor rows per block. Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        mode: str = 'attract',
        topk: int = 10,
        threshold: float = 0.7,
        reduction: str = 'simclr',
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if mode not in ('attract', 'eliminate'):
            raise ValueError(f"`mode` must be 'attract' or 'eliminate', got {mode!r}.")
        if reduction not in ('simclr', 'mean'):
            raise ValueError(f"`reduction` must be 'simclr' or 'mean', got {reduction!r}.")
        if topk < 0:
            raise ValueError(f'`topk` must be >= 0, got {topk}.')
        self.temperature = check_temperature(temperature)
        self.mode = mode
        self.topk = topk
        self.threshold = threshold
        self.reduction = reduction
        self.gather_distributed = gather_distributed
        self.chunk_size = chunk_size
        self.loss_weight = loss_weight

    def forward(
        self,
        features: torch.Tensor,
        memory: Optional[torch.Tensor] = None,
        memory_features: Optional[torch.Tensor] = None,
        own_columns: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss: in-batch (SimCLR form), or against a memory bank when ``memory`` is given.

        Args:
            features (torch.Tensor): ``[B, V, D]`` normalised features, ``V >= 2`` (main + support views).
            memory (torch.Tensor, optional): ``[N, D]`` bank of EMA features holding the current batch
                (:func:`fnc_memory_loss`, the official default). Defaults to None.
            memory_features (torch.Tensor, optional): ``[B, V, D]`` EMA features of ``features``' views, for the
                detection; required with ``memory``. Defaults to None.
            own_columns (torch.Tensor, optional): ``[B, V]`` bank columns of each sample's views; required with
                ``memory``. Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2)
        if memory is not None:
            if memory_features is None or own_columns is None:
                raise ValueError(
                    'FNCLoss with `memory` needs `memory_features` ([B, V, D]) and `own_columns` ([B, V]).'
                )
            check_features(memory, 'memory', ndim=2, normalized=False)  # unwritten columns are zeros
            if memory_features.shape != features.shape or own_columns.shape != features.shape[:2]:
                raise ValueError(
                    f'FNCLoss: memory_features {tuple(memory_features.shape)} must equal features '
                    f'{tuple(features.shape)} and own_columns {tuple(own_columns.shape)} be '
                    f'{tuple(features.shape[:2])}.'
                )
            loss = fnc_memory_loss(
                features, memory_features, memory, own_columns, self.temperature, self.topk, self.threshold, self.mode
            )
            return self.loss_weight * (loss if self.reduction == 'simclr' else loss / 2)

        def detected(cs: ContrastSet) -> torch.Tensor:
            # detected once per sample, shared by its views (view-major anchor rows)
            fn = detect_false_negatives(
                features.detach(), cs.contrast.detach(), cs.offset, cs.global_batch, self.topk, self.threshold
            )
            return fn.repeat(cs.anchor_views, 1)

        loss = contrastive_loss(
            features,
            self.temperature,
            gather_distributed=self.gather_distributed,
            false_negatives=detected,
            false_negative_mode=self.mode,
            chunk_size=self.chunk_size,
        )
        if self.reduction == 'simclr':
            loss = 2 * loss
        return self.loss_weight * loss
