# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The two calls every SupCon-style loss makes: the mean over anchors of a masked log-softmax loss.

A loss states its formula and calls one of these once. Inside, the call

1. lays the ``[B, V, D]`` features out view-major and, with ``gather_distributed``, all-gathers them with
   gradients (``contrast_set.py``);
2. derives each anchor row's positives and denominator from sample identity, labels or an explicit mask
   (``pair_masks.py``), minus the samples and negatives a caller drops (``selection.py``);
3. evaluates the per-anchor loss: the analytic-backward log-softmax (``log_softmax.py``, with the structured
   fast path of ``structured.py``) or the per-positive form (``per_positive.py``);
4. averages over the kept anchors, exactly across ranks (``selection.kept_mean``).
"""

from typing import Callable, Optional, Union

import torch

from .contrast_set import ContrastSet, build_contrast_set
from .log_softmax import contrastive_log_softmax
from .per_positive import per_positive_log_softmax
from .selection import kept_mean, selection_masks

__all__ = ['contrastive_loss', 'per_positive_loss', 'PosWeightFn', 'FalseNegativeFn']

PosWeightFn = Callable[[ContrastSet, Optional[torch.Tensor]], torch.Tensor]
"""``(contrast set, kept samples of all ranks or None) -> [M]`` constant weights of the anchors' positive terms."""

FalseNegativeFn = Callable[[ContrastSet], torch.Tensor]
"""``contrast set -> [M, k]`` contrast columns per anchor row treated as false negatives (``-1`` padded)."""


def contrastive_loss(
    features: torch.Tensor,
    temperature: float,
    labels: Optional[torch.Tensor] = None,
    mask: Optional[torch.Tensor] = None,
    contrast_with: Optional[torch.Tensor] = None,
    contrast_mode: str = 'all',
    gather_distributed: bool = False,
    denominator: str = 'all',
    summation: str = 'out',
    keep: Optional[torch.Tensor] = None,
    exclude: Optional[torch.Tensor] = None,
    pos_weight: Optional[PosWeightFn] = None,
    false_negatives: Optional[FalseNegativeFn] = None,
    false_negative_mode: str = 'attract',
    chunk_size: Optional[int] = None,
    max_norm: Optional[float] = None,
) -> torch.Tensor:
    """Mean over (kept) anchors of ``lse_{Den_r}(S_r) - w_r mean_{p in P(r)} S_rp`` (``'out'``) or its ``'in'`` form.

    ``S_r = a_r . C^T / tau`` are the logits of anchor row ``r`` against the view-major contrast set ``C``.

    Args:
        features (torch.Tensor): ``[B, V, D]`` features (checked by the caller).
        temperature (float): Softmax temperature ``tau``.
        labels (torch.Tensor, optional): ``[B]`` labels: positives share the anchor's label. Defaults to None
            (positives are the other views of the same sample).
        mask (torch.Tensor, optional): ``[B, B_global]`` explicit positive mask. Defaults to None.
        contrast_with (torch.Tensor, optional): ``[B, V, D]`` features forming the contrast set instead of
            ``features`` (UniCon's universum). Defaults to None.
        contrast_mode (str): ``'all'`` (every view anchors) or ``'one'`` (view 0). Defaults to 'all'.
        gather_distributed (bool): Contrast against every rank's samples, gathered with gradients.
            Defaults to False.
        denominator (str): ``'all'`` (every column but self) or ``'negatives'`` (positives removed, DCL).
            Defaults to 'all'.
        summation (str): ``'out'`` or ``'in'`` (SupCon's L_out / L_in). Defaults to 'out'.
        keep (torch.Tensor, optional): ``[B]`` bool samples that take part (anchors and negatives, on every
            rank). Defaults to None (all).
        exclude (torch.Tensor, optional): ``[V*B, V*B_global]`` bool negatives dropped from each anchor row's
            denominator. Defaults to None.
        pos_weight (PosWeightFn, optional): Per-anchor weights of the positive term (DCLW). Defaults to None.
        false_negatives (FalseNegativeFn, optional): Columns to treat as false negatives (FNC); not together
            with ``keep`` / ``exclude``. Defaults to None.
        false_negative_mode (str): ``'attract'`` (they join the positives) or ``'eliminate'`` (they leave the
            denominator), for ``false_negatives``. Defaults to 'attract'.
        chunk_size (int, optional): Anchor rows per block (memory-lean pass). Defaults to None.
        max_norm (float, optional): A known bound on the anchor norms (saves a host read). Defaults to None.

    Returns:
        torch.Tensor: Scalar loss (exactly 0, still attached to the graph, when no anchor is kept).
    """
    if false_negatives is not None and (keep is not None or exclude is not None):
        raise ValueError('`false_negatives` cannot be combined with `keep` / `exclude`.')
    cs = build_contrast_set(features, labels, mask, contrast_mode, gather_distributed, contrast_with)
    dropped = row_keep = keep_g = None
    mode = 'eliminate'
    if keep is not None or exclude is not None:
        dropped, row_keep, keep_g = selection_masks(cs, keep, exclude, gather_distributed)
    elif false_negatives is not None:
        dropped, mode = false_negatives(cs), false_negative_mode
    masks = cs.masks(denominator=denominator, false_negatives=dropped, false_negative_mode=mode)
    rows = contrastive_log_softmax(
        cs.anchors,
        cs.contrast,
        masks,
        temperature,
        mode=summation,
        pos_weight=None if pos_weight is None else pos_weight(cs, keep_g),
        chunk_size=chunk_size,
        max_norm=max_norm,
    )
    return kept_mean(rows, row_keep, gather_distributed)


def per_positive_loss(
    features: torch.Tensor,
    temperature: float,
    labels: Optional[torch.Tensor] = None,
    mask: Optional[torch.Tensor] = None,
    contrast_mode: str = 'all',
    gather_distributed: bool = False,
    omega: Union[float, torch.Tensor] = 1.0,
    eps: float = 0.0,
    form: str = 'out',
    denominator: str = 'pair',
    chunk_size: Optional[int] = None,
) -> torch.Tensor:
    """Mean over anchors of the per-positive loss, whose denominator holds ``omega`` times the positive(s).

    ``form='out'``, ``denominator='pair'``: ``-mean_p [s_rp - log(omega e^{s_rp} + sum_n e^{s_rn} + eps)]``
    (epsilon-SupInfoNCE; SupCon's ONE_POSITIVE with ``omega = 1``, ONLY_NEGATIVES with ``omega = 0``); the
    other forms are listed in ``per_positive.py``.

    Args:
        features (torch.Tensor): ``[B, V, D]`` features (checked by the caller).
        temperature (float): Softmax temperature.
        labels (torch.Tensor, optional): ``[B]`` labels. Defaults to None.
        mask (torch.Tensor, optional): ``[B, B_global]`` explicit positive mask. Defaults to None.
        contrast_mode (str): ``'all'`` or ``'one'``. Defaults to 'all'.
        gather_distributed (bool): Contrast against every rank, with gradients. Defaults to False.
        omega (float | torch.Tensor): Weight of the positive(s) in the denominator. Defaults to 1.0.
        eps (float): Constant added to the denominator after the max shift. Defaults to 0.0.
        form (str): ``'out'``, ``'in'`` or ``'in_eps'``. Defaults to 'out'.
        denominator (str): ``'pair'`` or ``'shared'``. Defaults to 'pair'.
        chunk_size (int, optional): Anchor rows per checkpointed block. Defaults to None.

    Returns:
        torch.Tensor: Scalar loss.
    """
    cs = build_contrast_set(features, labels, mask, contrast_mode, gather_distributed)
    rows = per_positive_log_softmax(
        cs.anchors,
        cs.contrast,
        cs.masks(),
        temperature,
        omega=omega,
        eps=eps,
        form=form,
        denominator=denominator,
        chunk_size=chunk_size,
    )
    return rows.mean()
