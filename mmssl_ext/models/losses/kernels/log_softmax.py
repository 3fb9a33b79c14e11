# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Fused, optionally chunked, masked log-softmax contrastive loss with an analytic backward.

Per anchor row ``r`` with logits ``S_r = a_r . C^T / tau``, positive weights ``P_r`` (``n_r = sum P_r``)
and denominator set ``Den_r``:

* ``'out'`` (SupCon L_out, InfoNCE, DCL): ``loss_r = lse_{Den_r}(S_r) - w_r * sum_c P_rc S_rc / n_r``;
* ``'in'`` (SupCon L_in): ``loss_r = lse_{Den_r}(S_r) - log(sum_c P_rc exp(S_rc) / n_r)``.

Rows without a positive (or with an empty denominator) give 0. ``w_r`` (default 1) is a per-row,
constant weight on the positive term (DCLW's von Mises-Fisher weights).

The gradient with respect to the logits is ``softmax_{Den}(S_r) - P_r w_r / n_r`` ('out') or
``softmax_{Den}(S_r) - softmax_P(S_r)`` ('in'), so the backward is two matrix products. Without
``chunk_size`` the forward keeps that one ``[M, N]`` gradient matrix for the backward (fastest). With
``chunk_size`` nothing of size ``M x N`` is kept: rows are processed ``chunk_size`` at a time and the
backward recomputes each block, so peak memory is a few ``chunk_size x N`` blocks.
"""

from typing import Optional, Tuple

import torch

from ..utils import compute_dtype
from .pair_masks import PairMasks
from .structured import StructuredTerms, build_structured, structured_supported

__all__ = ['contrastive_log_softmax']


def _block_grad(
    anchors: torch.Tensor,
    contrast: torch.Tensor,
    masks: PairMasks,
    start: int,
    end: int,
    inv_tau: float,
    mode: str,
    pos_weight: Optional[torch.Tensor],
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-row losses of a block and the gradient of their sum with respect to the block's logits."""
    logits = anchors[start:end] @ contrast.T
    logits.mul_(inv_tau)
    pos, den = masks.block(start, end, contrast.shape[0], logits.dtype)
    n_pos = pos.sum(1)
    has_pos = n_pos > 0
    safe_n = torch.where(has_pos, n_pos, torch.ones_like(n_pos))
    if mode == 'out':
        pos_term = (logits * pos).sum(1) / safe_n
        if pos_weight is not None:
            pos_term = pos_term * pos_weight[start:end]
        lse_pos = None
    else:
        log_pos = torch.where(pos > 0, logits + pos.clamp(min=1e-38).log(), torch.full_like(logits, float('-inf')))
        lse_pos = log_pos.logsumexp(1)
        pos_term = lse_pos - safe_n.log()
    logits.masked_fill_(~den, float('-inf'))
    lse_den = logits.logsumexp(1)
    # a row with an empty denominator (lse = -inf) or no positive counts zero; NaN (a NaN/Inf input) propagates
    empty = torch.isneginf(lse_den)
    valid = has_pos & ~empty
    lse_safe = torch.where(empty, torch.zeros_like(lse_den), lse_den)
    loss = torch.where(valid, lse_safe - pos_term, torch.zeros_like(lse_safe))
    # gradient w.r.t. the (already temperature-scaled) logits, in place on the logits buffer
    grad = logits.sub_(lse_safe[:, None]).exp_()
    if mode == 'out':
        coef = 1.0 / safe_n if pos_weight is None else pos_weight[start:end] / safe_n
        grad.sub_(pos * coef[:, None])
    else:
        # softmax over the positives (weights included), from the log-weights kept above
        assert lse_pos is not None  # set when mode != 'out'
        lse_pos_safe = torch.where(valid, lse_pos, torch.zeros_like(lse_pos))
        grad.sub_(log_pos.sub_(lse_pos_safe[:, None]).exp_())
        del log_pos
    grad.mul_(valid.to(grad.dtype)[:, None])
    return loss, grad


def _structured_block(
    a_scaled: torch.Tensor,
    contrast: torch.Tensor,
    terms: StructuredTerms,
    start: int,
    end: int,
    lse: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Denominator log-sum-exp and softmax of rows ``start:end`` (structured path)."""
    logits = a_scaled[start:end] @ contrast.T
    rows, cols = terms.excluded(start, end)
    logits[rows, cols] = float('-inf')
    if lse is not None:
        lse_safe = torch.where(torch.isfinite(lse), lse, torch.zeros_like(lse))
        return lse, logits.sub_(lse_safe[:, None]).exp_()
    # in-place softmax: the logits buffer is the only [m, N] tensor (torch.logsumexp would add two)
    row_max = logits.max(dim=1).values
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))
    prob = logits.sub_(row_max[:, None]).exp_()
    total = prob.sum(1)
    prob.div_(total.clamp(min=torch.finfo(prob.dtype).tiny)[:, None])
    return total.log() + row_max, prob


class _ContrastiveLogSoftmax(torch.autograd.Function):
    """Autograd function behind :func:`contrastive_log_softmax`."""

    @staticmethod
    def forward(ctx, anchors, contrast, masks, temperature, mode, pos_weight, chunk_size, max_norm):
        dtype = compute_dtype(anchors, contrast)
        a = anchors.detach().to(dtype)
        c = contrast.detach().to(dtype)
        pw = None if pos_weight is None else pos_weight.detach().to(dtype)
        inv_tau = 1.0 / temperature
        num_rows = a.shape[0]
        step = num_rows if not chunk_size or chunk_size >= num_rows else int(chunk_size)
        step = max(step, 1)
        terms = build_structured(masks, a, c) if structured_supported(masks, mode) else None
        ctx.masks, ctx.inv_tau, ctx.mode, ctx.step, ctx.terms = masks, inv_tau, mode, step, terms
        ctx.in_dtypes = (anchors.dtype, contrast.dtype)
        grad_full = None
        symmetric = terms is not None and anchors is contrast and step == num_rows and terms.symmetric
        if symmetric:
            # |S| <= max|a| max|c| / tau: a single global shift keeps every exp() in the normal range
            norm = max_norm if max_norm is not None else float(a.norm(dim=1).max())  # the host read, if unknown
            bound = norm**2 * inv_tau
            symmetric = 2 * bound < (80.0 if dtype == torch.float32 else 700.0)
        ctx.symmetric = symmetric
        if symmetric:
            # S = C C^T is symmetric: with one global shift, E = exp(S - shift) is symmetric too, so the
            # gradients through the anchor and the contrast side come from a single product with E
            a_scaled = a * inv_tau
            logits = a_scaled @ c.T
            rows_ex, cols_ex = terms.excluded(0, num_rows)
            logits[rows_ex, cols_ex] = float('-inf')
            shift = logits.max()
            shift = torch.where(torch.isfinite(shift), shift, shift.new_zeros(()))  # no host read
            probs = logits.sub_(shift).exp_()
            total = probs.sum(1)
            lse = total.log() + shift
            n_pos = terms.n_pos.to(dtype)
            valid = (terms.n_pos > 0) & ~torch.isneginf(lse)  # NaN propagates
            pos_term = (a_scaled * terms.pos_vec).sum(1) / n_pos.clamp(min=1)
            coef = torch.ones_like(lse) if pw is None else pw
            out = torch.where(valid, lse - coef * pos_term, torch.zeros_like(lse))
            ctx.save_for_backward(a, c, pw, probs, total, valid)
            return out.to(anchors.dtype)
        if terms is not None:
            a_scaled = a * inv_tau
            lses, probs = [], None
            for start in range(0, num_rows, step):
                lse, prob = _structured_block(a_scaled, c, terms, start, min(start + step, num_rows))
                lses.append(lse)
                if step == num_rows:
                    probs = prob
                del prob
            lse = torch.cat(lses) if lses else a.new_zeros(0)
            n_pos = terms.n_pos.to(dtype)
            valid = (terms.n_pos > 0) & ~torch.isneginf(lse)  # NaN propagates
            pos_term = (a_scaled * terms.pos_vec).sum(1) / n_pos.clamp(min=1)
            coef = torch.ones_like(lse) if pw is None else pw
            out = torch.where(valid, lse - coef * pos_term, torch.zeros_like(lse))
            if probs is not None and not bool(valid.all()):
                probs.mul_(valid.to(dtype)[:, None])
            ctx.save_for_backward(a, c, pw, probs, lse, valid)
            return out.to(anchors.dtype)
        losses = []
        for start in range(0, num_rows, step):
            end = min(start + step, num_rows)
            loss, grad = _block_grad(a, c, masks, start, end, inv_tau, mode, pw)
            losses.append(loss)
            if step == num_rows:
                grad_full = grad
            del grad
        ctx.save_for_backward(a, c, pw, grad_full, None, None)
        out = torch.cat(losses) if losses else a.new_zeros(0)
        return out.to(anchors.dtype)

    @staticmethod
    def backward(ctx, grad_rows):
        a, c, pw, saved, lse, valid = ctx.saved_tensors
        need_a, need_c = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_rows = grad_rows.to(a.dtype) * ctx.inv_tau
        grad_a = torch.zeros_like(a) if need_a else None
        grad_c = torch.zeros_like(c) if need_c else None
        num_rows, step, terms = a.shape[0], ctx.step, ctx.terms
        if ctx.symmetric:
            total = lse  # saved row sums of E
            g = grad_rows * valid.to(a.dtype)
            ga = g / total.clamp(min=torch.finfo(a.dtype).tiny)
            # (diag(ga) E + E diag(ga)) @ C as one product: E @ [C, ga * C], no [N, N] elementwise pass
            both = saved @ torch.cat([c, c * ga[:, None]], dim=1)
            grad = both[:, : c.shape[1]] * ga[:, None] + both[:, c.shape[1] :]
            coef = g / terms.n_pos.to(a.dtype).clamp(min=1)
            if pw is not None:
                coef = coef * pw
            grad -= terms.pos_vec * coef[:, None]
            grad -= terms.positive_grad_contrast(a * coef[:, None])
            return grad.to(ctx.in_dtypes[0]), None, None, None, None, None, None, None
        if terms is not None:
            g = grad_rows * valid.to(a.dtype)
            a_g = a * g[:, None]
            a_scaled = a * ctx.inv_tau if saved is None else None
            for start in range(0, num_rows, step):
                end = min(start + step, num_rows)
                if saved is not None:
                    prob = saved
                else:
                    _, prob = _structured_block(a_scaled, c, terms, start, end, lse[start:end])
                    if not bool(valid[start:end].all()):
                        prob.mul_(valid[start:end].to(a.dtype)[:, None])
                if need_a:
                    grad_a[start:end] = (prob @ c) * g[start:end, None]
                if need_c:
                    grad_c.addmm_(prob.T, a_g[start:end])
                del prob
            coef = g / terms.n_pos.to(a.dtype).clamp(min=1)
            if pw is not None:
                coef = coef * pw
            if need_a:
                grad_a -= terms.pos_vec * coef[:, None]
            if need_c:
                grad_c -= terms.positive_grad_contrast(a * coef[:, None])
        else:
            for start in range(0, num_rows, step):
                end = min(start + step, num_rows)
                if saved is not None:
                    gblk = saved * grad_rows[start:end, None]
                else:
                    _, gblk = _block_grad(a, c, ctx.masks, start, end, ctx.inv_tau, ctx.mode, pw)
                    gblk.mul_(grad_rows[start:end, None])
                if need_a:
                    grad_a[start:end] = gblk @ c
                if need_c:
                    grad_c.addmm_(gblk.T, a[start:end])
                del gblk
        if grad_a is not None:
            grad_a = grad_a.to(ctx.in_dtypes[0])
        if grad_c is not None:
            grad_c = grad_c.to(ctx.in_dtypes[1])
        return grad_a, grad_c, None, None, None, None, None, None


def contrastive_log_softmax(
    anchors: torch.Tensor,
    contrast: torch.Tensor,
    masks: PairMasks,
    temperature: float,
    mode: str = 'out',
    pos_weight: Optional[torch.Tensor] = None,
    chunk_size: Optional[int] = None,
    max_norm: Optional[float] = None,
) -> torch.Tensor:
    """Per-anchor masked log-softmax contrastive losses (see the module docstring for the formulas).

    Args:
        anchors (torch.Tensor): ``[M, D]`` anchor embeddings.
        contrast (torch.Tensor): ``[N, D]`` contrast embeddings (may include a queue without grad).
        masks (PairMasks): Positive / denominator description of the ``[M, N]`` logits.
        temperature (float): Softmax temperature ``tau``.
        mode (str): ``'out'`` or ``'in'`` (where the mean over positives sits). Defaults to 'out'.
        pos_weight (torch.Tensor, optional): ``[M]`` constant weights of the positive term (no gradient
            flows into them); only with ``mode='out'``. Defaults to None.
        chunk_size (int, optional): Anchor rows per block; ``None`` processes all rows at once and keeps
            one ``[M, N]`` matrix for the backward. Defaults to None.
        max_norm (float, optional): A known bound on the anchor norms (a loss that checked its features are
            unit-norm passes ``1 + atol``); None reads the largest norm back to the host, a device sync.
            Defaults to None.

    Returns:
        torch.Tensor: ``[M]`` per-anchor losses (0 for rows without positives).
    """
    if mode not in ('out', 'in'):
        raise ValueError(f"`mode` must be 'out' or 'in', got {mode!r}.")
    if pos_weight is not None and mode != 'out':
        raise ValueError("`pos_weight` is only defined for mode='out'.")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f'`chunk_size` must be a positive int or None, got {chunk_size}.')
    return _ContrastiveLogSoftmax.apply(anchors, contrast, masks, temperature, mode, pos_weight, chunk_size, max_norm)
