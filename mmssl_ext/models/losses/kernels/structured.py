# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Fast path of :func:`contrastive_log_softmax` for key-defined positives (labels or sample ids).

When positives are "same key" (plus sparse extra positives such as FNC's detected false negatives)
and the denominator is "every column but a sparse set" (self, the positives of DCL, FNC's eliminated
columns), nothing of size ``M x N`` but the logits / softmax buffer is ever touched:

* the positive term ``sum_{c in P(r)} S_rc = a_r . (sum of positive contrast rows) / tau`` comes from
  per-key sums of the contrast rows (``O(N D)``);
* the excluded denominator entries are filled with ``-inf`` by index (``O(#excluded)``);
* the backward is ``P @ C`` and ``P^T @ A`` (``P`` the denominator softmax) plus per-key sums for the
  positive term, so it has no elementwise ``M x N`` pass at all.

The forward therefore costs one matrix product, one ``-inf`` fill, one ``logsumexp`` and one ``exp``
over the logits; the dense reference needs more than ten ``M x N`` passes and as many buffers.
"""

from typing import Optional, Tuple, cast

import torch

from .pair_masks import PairMasks

__all__ = ['StructuredTerms', 'structured_supported', 'build_structured']

# beyond this many excluded pairs per row on average the dense path is cheaper
_MAX_EXCLUDED_PER_ROW = 16


def structured_supported(masks: PairMasks, mode: str) -> bool:
    """Whether ``masks`` can use the structured fast path (``mode='out'``, key-defined positives)."""
    return mode == 'out' and masks.explicit is None


class StructuredTerms:
    """Per-call ``O((M + N) D)`` quantities of the structured path.

    Args:
        masks (PairMasks): Key-defined masks (see :func:`structured_supported`).
        anchors (torch.Tensor): ``[M, D]`` anchors (detached, compute dtype).
        contrast (torch.Tensor): ``[N, D]`` contrast rows (detached, compute dtype).
    """

    def __init__(self, masks: PairMasks, anchors: torch.Tensor, contrast: torch.Tensor) -> None:
        num_a, num_c = anchors.shape[0], contrast.shape[0]
        device = anchors.device
        # key-defined masks (see structured_supported) have both keys
        anchor_keys, contrast_keys = cast(torch.Tensor, masks.anchor_keys), cast(torch.Tensor, masks.contrast_keys)
        if masks.num_keys is not None:
            # dense keys in [0, num_keys) (sample ids): no unique(), whose output size needs a device sync
            aid, cid, num_keys = anchor_keys, contrast_keys, masks.num_keys
        else:
            keys, inverse = torch.unique(torch.cat([anchor_keys, contrast_keys]), return_inverse=True)
            aid, cid = inverse[:num_a], inverse[num_a:]
            num_keys = keys.shape[0]
        self.aid, self.cid, self.num_keys = aid, cid, num_keys
        key_sum = contrast.new_zeros(num_keys, contrast.shape[1]).index_add_(0, cid, contrast)
        count = torch.zeros(num_keys, dtype=torch.long, device=device).index_add_(0, cid, torch.ones_like(cid))
        pos_vec = key_sum[aid]
        n_pos = count[aid].clone()
        rows = torch.arange(num_a, device=device)
        self_idx = masks.self_index if masks.self_index is not None else torch.full_like(rows, -1)
        has_self = self_idx >= 0
        safe_self = self_idx.clamp(min=0)
        self_match = has_self & (cid[safe_self] == aid)
        pos_vec = pos_vec - self_match[:, None].to(contrast.dtype) * contrast[safe_self]
        n_pos = n_pos - self_match.long()
        self.self_idx, self.self_match = self_idx, self_match
        # sparse extra positives (FNC attract) and sparse exclusions from the denominator
        extra_rows = extra_cols = None
        if masks.same_keys:  # self_index is arange: every row excludes itself, no boolean indexing
            ex_rows, ex_cols = [rows], [self_idx]
        else:
            ex_rows, ex_cols = [rows[has_self]], [self_idx[has_self]]
        fn = masks.false_negatives
        if fn is not None and fn.numel() > 0:
            r = rows[:, None].expand_as(fn)
            ok = (fn >= 0) & (fn != self_idx[:, None])
            ok &= cid[fn.clamp(min=0)] != aid[:, None]
            if masks.false_negative_mode == 'attract':
                extra_rows, extra_cols = r[ok], fn[ok]
                pos_vec = pos_vec.index_add(0, extra_rows, contrast[extra_cols])
                n_pos = n_pos + torch.bincount(extra_rows, minlength=num_a)
            else:
                ex_rows.append(r[ok])
                ex_cols.append(fn[ok])
        if masks.denominator == 'negatives':
            pr, pc = self._positive_pairs(aid, cid, count, num_keys)
            keep = pc != self_idx[pr]
            ex_rows.append(pr[keep])
            ex_cols.append(pc[keep])
        all_rows, all_cols = torch.cat(ex_rows), torch.cat(ex_cols)
        order = torch.argsort(all_rows, stable=True)
        self.ex_rows, self.ex_cols = all_rows[order], all_cols[order]
        self.extra_rows, self.extra_cols = extra_rows, extra_cols
        self.pos_vec, self.n_pos = pos_vec, n_pos
        # the excluded set is symmetric when anchors are the contrast rows with the same keys and only self
        # and same-key entries are excluded (not FNC's eliminated columns)
        eliminated = fn is not None and fn.numel() > 0 and masks.false_negative_mode == 'eliminate'
        self.symmetric = not eliminated and (
            masks.same_keys
            or (
                num_a == num_c
                and masks.self_index is not None
                and torch.equal(anchor_keys, contrast_keys)
                and torch.equal(self_idx, rows)
            )
        )
        self.num_cols = num_c
        self.num_rows = num_a

    @staticmethod
    def _positive_pairs(
        aid: torch.Tensor, cid: torch.Tensor, count: torch.Tensor, num_keys: int
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """All (anchor row, contrast column) pairs with equal keys, row-major."""
        order = torch.argsort(cid, stable=True)
        starts = torch.cumsum(count, 0) - count
        sizes = count[aid]
        total = int(sizes.sum())
        if total > _MAX_EXCLUDED_PER_ROW * max(aid.shape[0], 1):
            raise _TooDense
        rows = torch.repeat_interleave(torch.arange(aid.shape[0], device=aid.device), sizes)
        first = torch.repeat_interleave(torch.cumsum(sizes, 0) - sizes, sizes)
        within = torch.arange(total, device=aid.device) - first
        cols = order[starts[aid][rows] + within]
        return rows, cols

    def excluded(self, start: int, end: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Excluded (row - start, col) entries of rows ``start:end``."""
        if start <= 0 and end >= self.num_rows:  # all rows: no searchsorted read-back
            return self.ex_rows - start, self.ex_cols
        lo = int(torch.searchsorted(self.ex_rows, start))
        hi = int(torch.searchsorted(self.ex_rows, end))
        return self.ex_rows[lo:hi] - start, self.ex_cols[lo:hi]

    def positive_grad_contrast(self, h: torch.Tensor) -> torch.Tensor:
        """``sum_{r: c in P(r)} h_r`` for every contrast column ``c`` (``h``: ``[M, D]``)."""
        per_key = h.new_zeros(self.num_keys, h.shape[1]).index_add_(0, self.aid, h)
        out = per_key[self.cid]
        # rows without a self match add zero at a clamped index: no boolean indexing
        out.index_add_(0, self.self_idx.clamp(min=0), -h * self.self_match[:, None].to(h.dtype))
        if self.extra_rows is not None and self.extra_rows.numel() > 0:
            assert self.extra_cols is not None  # set together with extra_rows
            out.index_add_(0, self.extra_cols, h[self.extra_rows])
        return out


class _TooDense(Exception):
    """Raised when the positive pairs are too many for the sparse exclusion list."""


def build_structured(masks: PairMasks, anchors: torch.Tensor, contrast: torch.Tensor) -> Optional[StructuredTerms]:
    """``StructuredTerms`` of the call, or ``None`` when the dense path should be used."""
    try:
        return StructuredTerms(masks, anchors, contrast)
    except _TooDense:
        return None
