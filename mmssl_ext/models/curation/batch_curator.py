# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batch curation policies for SimCLR: pair filter, false-negative removal, Frechet batch gate, oversampling."""

import math
from dataclasses import dataclass, field
from typing import Dict, Optional

import torch

from mmssl_ext.registry import MODELS

from ..utils.frechet import frechet_distance

__all__ = ['BatchCurator', 'PairSelection']


@dataclass
class PairSelection:
    """What :meth:`BatchCurator.select_pairs` decided for a (gathered) batch of positive pairs.

    Attributes:
        keep (torch.Tensor): ``[N]`` bool, pairs that stay in the loss.
        skip (bool): The batch gate rejected the whole batch.
        stats (dict[str, float]): ``kept_frac``, ``pos_sim`` (all pairs), ``pos_sim_kept`` and, when
            computed, ``frd``.
    """

    keep: torch.Tensor
    skip: bool = False
    stats: Dict[str, float] = field(default_factory=dict)


@MODELS.register_module()
class BatchCurator:
    """Batch curation for contrastive learning, after Welle et al., arXiv:2108.08643 (no official code).

    Every policy scores positive pairs by the cosine similarity ``s_i = z_i^(1) . z_i^(2)`` of the two
    views' L2-normalised projections, computed without gradient. The paper's criterion is not public
    (only its abstract is); these policies are the design of ``methods.md`` 4.3, each off by default:

    * **pair filter**: drop pairs with ``s_i < pos_threshold`` and/or keep the ``keep_fraction``
      best-scoring pairs (ties broken by sample order); at least ``min_kept`` pairs always stay (the
      best-scoring ones);
    * **false-negative removal**: a negative whose similarity to the anchor exceeds ``neg_threshold``
      leaves that anchor's denominator;
    * **batch gate**: the Frechet distance ``FRD(B1, B2) = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``
      between the two views' feature batches (Goksu & Pugeault, arXiv:2403.19579); above
      ``frd_threshold`` the whole step is skipped;
    * **oversample-then-select**: the loader brings ``M`` samples per rank, the ``select_num`` best pairs
      of each rank are trained on.

    ``warmup_epochs`` / ``warmup_iters`` switch curation off at the start (early embeddings carry no
    semantic signal). The curator is pure tensor logic; :class:`CuratedSimCLR` gathers the scores of
    every rank first, so all ranks reach the same decision.

    Args:
        pos_threshold (float, optional): ``tau_pos`` in [-1, 1]. Defaults to None (off).
        keep_fraction (float, optional): ``rho`` in (0, 1]. Defaults to None (off).
        neg_threshold (float, optional): ``tau_neg`` in [-1, 1]. Defaults to None (off).
        frd_threshold (float, optional): ``tau_FRD`` > 0. Defaults to None (off).
        select_num (int, optional): Pairs kept per rank from each loaded batch (oversampling).
            Defaults to None (off).
        min_kept (int): Least number of pairs of the (global) batch kept by the pair filter.
            Defaults to 2.
        warmup_epochs (int): Epochs without curation. Defaults to 0.
        warmup_iters (int): Iterations without curation (for iteration-based loops). Defaults to 0.
        log_frd (bool): Compute and log the FRD every step even without a gate. Defaults to True.
    """

    def __init__(
        self,
        pos_threshold: Optional[float] = None,
        keep_fraction: Optional[float] = None,
        neg_threshold: Optional[float] = None,
        frd_threshold: Optional[float] = None,
        select_num: Optional[int] = None,
        min_kept: int = 2,
        warmup_epochs: int = 0,
        warmup_iters: int = 0,
        log_frd: bool = True,
    ) -> None:
        for name, value in (('pos_threshold', pos_threshold), ('neg_threshold', neg_threshold)):
            if value is not None and not -1.0 <= value <= 1.0:
                raise ValueError(f'`{name}` is a cosine similarity and must be in [-1, 1] or None, got {value}.')
        if keep_fraction is not None and not 0.0 < keep_fraction <= 1.0:
            raise ValueError(f'`keep_fraction` must be in (0, 1] or None, got {keep_fraction}.')
        if frd_threshold is not None and not frd_threshold > 0:
            raise ValueError(f'`frd_threshold` must be > 0 or None (no gate), got {frd_threshold}.')
        if select_num is not None and select_num < 2:
            raise ValueError(
                f'`select_num` must be >= 2 (pairs per rank after oversampling) or None, got {select_num}.'
            )
        if min_kept < 1:
            raise ValueError(f'`min_kept` must be >= 1, got {min_kept}.')
        if warmup_epochs < 0 or warmup_iters < 0:
            raise ValueError(f'warm-up lengths must be >= 0, got epochs={warmup_epochs}, iters={warmup_iters}.')
        self.pos_threshold = pos_threshold
        self.keep_fraction = keep_fraction
        self.neg_threshold = neg_threshold
        self.frd_threshold = frd_threshold
        self.select_num = select_num
        self.min_kept = min_kept
        self.warmup_epochs = warmup_epochs
        self.warmup_iters = warmup_iters
        self.log_frd = log_frd

    def __repr__(self) -> str:
        names = ('pos_threshold', 'keep_fraction', 'neg_threshold', 'frd_threshold', 'select_num', 'min_kept')
        args = ', '.join(f'{n}={getattr(self, n)!r}' for n in names)
        return f'{type(self).__name__}({args}, warmup_epochs={self.warmup_epochs}, warmup_iters={self.warmup_iters})'

    def is_active(self, epoch: Optional[int], iteration: Optional[int]) -> bool:
        """Whether the warm-up is over (``None``, outside a runner, counts as over).

        Args:
            epoch (int, optional): 0-based epoch.
            iteration (int, optional): 0-based iteration.

        Returns:
            bool: Curate this step.
        """
        if epoch is not None and epoch < self.warmup_epochs:
            return False
        return not (iteration is not None and iteration < self.warmup_iters)

    @staticmethod
    def pair_similarity(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """``[N]`` cosine similarities of the positive pairs (rows of two normalised ``[N, D]`` batches)."""
        if z1.shape != z2.shape or z1.dim() != 2:
            raise ValueError(f'z1 and z2 must be [N, D] of one shape, got {tuple(z1.shape)} and {tuple(z2.shape)}.')
        return (z1.detach().float() * z2.detach().float()).sum(-1)

    def rank_pairs(self, scores: torch.Tensor, num: int) -> torch.Tensor:
        """Bool mask of the ``num`` best scores (stable: equal scores keep the earlier sample)."""
        order = torch.sort(scores, descending=True, stable=True).indices
        mask = torch.zeros_like(scores, dtype=torch.bool)
        mask[order[:num]] = True
        return mask

    @torch.no_grad()
    def select_pairs(self, z1: torch.Tensor, z2: torch.Tensor, active: bool = True) -> PairSelection:
        """Pair filter and batch gate on the (gathered) batch of pairs.

        Args:
            z1 (torch.Tensor): ``[N, D]`` normalised view-1 projections.
            z2 (torch.Tensor): ``[N, D]`` normalised view-2 projections.
            active (bool): ``False`` (warm-up) keeps everything and only measures. Defaults to True.

        Returns:
            PairSelection: Kept pairs, gate decision and statistics.
        """
        scores = self.pair_similarity(z1, z2)
        num = scores.shape[0]
        keep = torch.ones(num, dtype=torch.bool, device=scores.device)
        if active:
            if self.pos_threshold is not None:
                keep &= scores >= self.pos_threshold
            if self.keep_fraction is not None:
                keep &= self.rank_pairs(scores, max(1, math.ceil(self.keep_fraction * num - 1e-9)))
            floor = min(self.min_kept, num)
            if int(keep.sum()) < floor:
                keep = self.rank_pairs(scores, floor)
        stats = {
            'kept_frac': float(keep.float().mean()),
            'pos_sim': float(scores.mean()),
            'pos_sim_kept': float(scores[keep].mean()),
        }
        skip = False
        if self.frd_threshold is not None or self.log_frd:
            frd = float(frechet_distance(z1.detach(), z2.detach())) if num >= 2 else 0.0
            stats['frd'] = frd
            skip = active and self.frd_threshold is not None and frd > self.frd_threshold
        return PairSelection(keep=keep, skip=skip, stats=stats)

    @torch.no_grad()
    def false_negatives(self, anchors: torch.Tensor, contrast: torch.Tensor) -> Optional[torch.Tensor]:
        """``[M, N]`` bool: contrast entries more similar to the anchor than ``neg_threshold``.

        The loss keeps each anchor's own views as positives whatever this mask says.

        Args:
            anchors (torch.Tensor): ``[M, D]`` normalised anchor projections.
            contrast (torch.Tensor): ``[N, D]`` normalised contrast projections.

        Returns:
            torch.Tensor | None: The mask, or ``None`` when the policy is off.
        """
        if self.neg_threshold is None:
            return None
        return (anchors.detach().float() @ contrast.detach().float().T) > self.neg_threshold

    @torch.no_grad()
    def oversample(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Indices (ascending) of this rank's ``select_num`` best pairs out of the ``M`` loaded.

        Args:
            z1 (torch.Tensor): ``[M, D]`` normalised view-1 projections (scoring pass).
            z2 (torch.Tensor): ``[M, D]`` normalised view-2 projections (scoring pass).

        Returns:
            torch.Tensor: Long ``[select_num]``.
        """
        if self.select_num is None:
            raise ValueError('BatchCurator.oversample needs `select_num`.')
        if z1.shape[0] < self.select_num:
            raise ValueError(
                f'Oversampling keeps select_num={self.select_num} pairs per rank but the loader brought '
                f'{z1.shape[0]}; set train_dataloader.batch_size > select_num.'
            )
        mask = self.rank_pairs(self.pair_similarity(z1, z2), self.select_num)
        return torch.nonzero(mask).squeeze(1)
