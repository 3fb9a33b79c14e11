# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Contrastive losses whose denominator depends on the positive (one term per anchor-positive pair).

With ``s = S - rowmax(S)`` (detached max over every column, as the official code) and ``Neg_r`` the
denominator columns that are not positive, the denominator of pair ``(r, p)`` is

* ``'pair'``:   ``D_rp = omega * e^{s_rp} + sum_{n in Neg_r} e^{s_rn} + eps``
  (epsilon-SupInfoNCE with ``omega = e^{-epsilon}``; TF SupCon ONE_POSITIVE with ``omega = 1``,
  ONLY_NEGATIVES with ``omega = 0``);
* ``'shared'``: ``D_r = sum_{c in Den_r} (omega if c in P_r else 1) * e^{s_rc} + eps`` (epsilon-SupCon).

and the per-anchor loss is

* ``'out'``: ``-sum_p P_rp (s_rp - log D_rp) / max(n_r, 1)``;
* ``'in'`` (TF SupCon): ``-log(sum_p P_rp e^{s_rp} / D_rp / n_r)``;
* ``'in_eps'`` (epsilon-SupInfoNCE 'in'): ``-[log sum_p P_rp e^{s_rp} - log(omega / n_r * sum_p P_rp e^{s_rp}
  + sum_n e^{s_rn})]``.

Everything is evaluated in log space (``logsumexp`` with ``-inf`` masking). Rows without a positive give
0 (the official 'in' form would give ``+inf``). With ``chunk_size`` each row block runs under activation
checkpointing, so only one block's intermediates exist at a time.
"""

import math
from typing import Optional

import torch
from torch.utils.checkpoint import checkpoint

from ..utils import compute_dtype
from .pair_masks import PairMasks

__all__ = ['per_positive_log_softmax']

_FORMS = ('out', 'in', 'in_eps')


def _lse(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    """``logsumexp`` that returns ``-inf`` with a zero (not NaN) gradient for all ``-inf`` slices."""
    empty = torch.isneginf(x).all(dim=dim, keepdim=True)
    out = torch.where(empty, torch.zeros_like(x), x).logsumexp(dim, keepdim=True)
    out = torch.where(empty, torch.full_like(out, float('-inf')), out)
    return out if keepdim else out.squeeze(dim)


def _block(
    anchors: torch.Tensor,
    contrast: torch.Tensor,
    masks: PairMasks,
    start: int,
    end: int,
    temperature: float,
    log_omega: torch.Tensor,
    eps: float,
    form: str,
    denominator: str,
) -> torch.Tensor:
    """Per-row losses of anchor rows ``start:end`` (few ``[m, N]`` temporaries; row-level terms stay rows)."""
    logits = (anchors / temperature) @ contrast.T
    logits = logits - logits.detach().amax(dim=1, keepdim=True)
    pos, den = masks.block(start, end, contrast.shape[0], logits.dtype)
    is_pos = pos > 0
    binary = bool(((pos == 0) | (pos == 1)).all())
    n_pos = pos.sum(1)
    has_pos = n_pos > 0
    safe_n = torch.where(has_pos, n_pos, torch.ones_like(n_pos))
    lse_neg = _lse(logits.masked_fill(~(den & ~is_pos), float('-inf')), 1)
    omega_zero = bool(torch.isneginf(log_omega))
    if denominator == 'shared':
        weighted = torch.where(is_pos & den, log_omega + logits, logits.masked_fill(~(den & ~is_pos), float('-inf')))
        row_d = _lse(weighted, 1)
    elif omega_zero:
        row_d = lse_neg
    else:
        row_d = None
    if row_d is not None and eps > 0:
        row_d = torch.logaddexp(row_d, torch.full_like(row_d, math.log(eps)))
    if row_d is not None:
        # one denominator per row: no [m, N] log-probability needed
        undefined = torch.isneginf(row_d) & has_pos
        row_d = torch.where(torch.isneginf(row_d), torch.zeros_like(row_d), row_d)
        log_d: Optional[torch.Tensor] = row_d[:, None]
    else:
        rest = lse_neg if eps <= 0 else _lse(torch.stack([lse_neg, torch.full_like(lse_neg, math.log(eps))]), 0)
        undefined = torch.zeros_like(has_pos)
        log_d = None if form == 'in_eps' else torch.logaddexp(log_omega + logits, rest[:, None].expand_as(logits))
    if form == 'out':
        pos_logits = (logits * pos).sum(1)
        if row_d is not None:
            per_row = -(pos_logits - n_pos * row_d) / safe_n
        else:
            assert log_d is not None  # set for every form but 'in_eps'
            per_row = -(pos_logits - (log_d * pos).sum(1)) / safe_n
    elif form == 'in':
        assert log_d is not None  # set for every form but 'in_eps'
        log_w = (logits - log_d).masked_fill(~is_pos, float('-inf'))
        if not binary:
            log_w = log_w + pos.clamp(min=1e-38).log()
        per_row = -(_lse(log_w, 1) - safe_n.log())
    else:
        log_w = logits.masked_fill(~is_pos, float('-inf'))
        if not binary:
            log_w = log_w + pos.clamp(min=1e-38).log()
        lse_pos = _lse(log_w, 1)
        d = _lse(torch.stack([log_omega - safe_n.log() + lse_pos, lse_neg]), 0)
        per_row = -(lse_pos - d)
    keep = has_pos & ~undefined
    per_row = torch.where(keep, per_row, torch.zeros_like(per_row))
    # an infinite term of a kept row (a positive or denominator that underflowed) counts zero; NaN (a NaN or
    # Inf input) propagates, so a diverged network never reads as a loss of 0
    return torch.where(torch.isinf(per_row), torch.zeros_like(per_row), per_row)


def per_positive_log_softmax(
    anchors: torch.Tensor,
    contrast: torch.Tensor,
    masks: PairMasks,
    temperature: float,
    omega: 'float | torch.Tensor' = 1.0,
    eps: float = 0.0,
    form: str = 'out',
    denominator: str = 'pair',
    chunk_size: Optional[int] = None,
) -> torch.Tensor:
    """Per-anchor losses with pair-wise or positive-weighted denominators (module docstring).

    Args:
        anchors (torch.Tensor): ``[M, D]`` anchor embeddings.
        contrast (torch.Tensor): ``[N, D]`` contrast embeddings.
        masks (PairMasks): Positive / denominator description.
        temperature (float): Softmax temperature.
        omega (float | torch.Tensor): Weight of the positive(s) in the denominator, ``e^{-epsilon}``; a
            tensor keeps the gradient (learnable epsilon). Defaults to 1.0.
        eps (float): Constant added to the denominator after the max shift. Defaults to 0.0.
        form (str): ``'out'``, ``'in'`` or ``'in_eps'``. Defaults to 'out'.
        denominator (str): ``'pair'`` or ``'shared'``. Defaults to 'pair'.
        chunk_size (int, optional): Anchor rows per checkpointed block. Defaults to None.

    Returns:
        torch.Tensor: ``[M]`` per-anchor losses.
    """
    if form not in _FORMS:
        raise ValueError(f'`form` must be one of {_FORMS}, got {form!r}.')
    if denominator not in ('pair', 'shared'):
        raise ValueError(f"`denominator` must be 'pair' or 'shared', got {denominator!r}.")
    dtype = compute_dtype(anchors, contrast)
    a, c = anchors.to(dtype), contrast.to(dtype)
    if isinstance(omega, torch.Tensor):
        log_omega = omega.to(dtype).log()
    else:
        log_omega = torch.tensor(math.log(omega) if omega > 0 else float('-inf'), dtype=dtype, device=a.device)
    num_rows = a.shape[0]
    if not chunk_size or chunk_size >= num_rows:
        out = _block(a, c, masks, 0, num_rows, temperature, log_omega, eps, form, denominator)
    else:
        parts = []
        for start in range(0, num_rows, chunk_size):
            end = min(start + chunk_size, num_rows)
            parts.append(
                checkpoint(
                    _block,
                    a[start:end],
                    c,
                    masks,
                    start,
                    end,
                    temperature,
                    log_omega,
                    eps,
                    form,
                    denominator,
                    use_reentrant=False,
                )
            )
        out = torch.cat(parts)
    return out.to(anchors.dtype)
