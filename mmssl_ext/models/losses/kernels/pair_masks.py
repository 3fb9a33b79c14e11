# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Positive and denominator masks of an anchors x contrast logit matrix, built one row block at a time."""

from typing import Optional, Tuple, cast

import torch

__all__ = ['PairMasks']


class PairMasks:
    """Positives and denominator of an ``[M, N]`` anchors x contrast logit matrix, built block by block.

    No ``M x N`` mask is ever materialised; :meth:`block` returns the masks of a range of rows.

    Positives come from one of two sources:

    * ``anchor_keys`` / ``contrast_keys``: entry ``(r, c)`` is positive when the keys are equal (class
      labels for supervised losses, sample ids for instance discrimination);
    * ``explicit``: a ``[Ra, Rc]`` (possibly asymmetric, possibly weighted) mask indexed through
      ``anchor_rows`` / ``contrast_cols``.

    ``self_index[r]`` is the column of anchor ``r`` itself, removed from positives and denominator.

    Args:
        anchor_keys (torch.Tensor, optional): ``[M]`` keys of the anchors. Defaults to None.
        contrast_keys (torch.Tensor, optional): ``[N]`` keys of the contrast columns. Defaults to None.
        explicit (torch.Tensor, optional): ``[Ra, Rc]`` mask (bool or float weights). Defaults to None.
        anchor_rows (torch.Tensor, optional): ``[M]`` rows of ``explicit`` for each anchor. Defaults to None.
        contrast_cols (torch.Tensor, optional): ``[N]`` columns of ``explicit`` for each contrast entry,
            ``-1`` for entries outside it. Defaults to None.
        self_index (torch.Tensor, optional): ``[M]`` column of each anchor in the contrast set, ``-1`` for
            none. Defaults to None.
        denominator (str): ``'all'`` (every column but self) or ``'negatives'`` (columns that are not
            positive, as in DCL). Defaults to 'all'.
        false_negatives (torch.Tensor, optional): ``[M, k]`` detected false-negative columns per anchor,
            ``-1`` padded. Defaults to None.
        false_negative_mode (str): ``'attract'`` adds them to the positives, ``'eliminate'`` removes them
            from the denominator. Defaults to 'attract'.
        num_keys (int, optional): A host-side fact: the keys are dense ids in ``[0, num_keys)`` (sample ids), so
            the kernels need no ``unique`` (a device sync). Defaults to None (unknown).
        same_keys (bool): A host-side fact: anchors are the contrast rows (``anchor_keys`` equal to
            ``contrast_keys`` and ``self_index`` is ``arange(M)``), so no device comparison is needed to use the
            symmetry. Defaults to False (unknown: checked on the device where needed).
    """

    def __init__(
        self,
        anchor_keys: Optional[torch.Tensor] = None,
        contrast_keys: Optional[torch.Tensor] = None,
        explicit: Optional[torch.Tensor] = None,
        anchor_rows: Optional[torch.Tensor] = None,
        contrast_cols: Optional[torch.Tensor] = None,
        self_index: Optional[torch.Tensor] = None,
        denominator: str = 'all',
        false_negatives: Optional[torch.Tensor] = None,
        false_negative_mode: str = 'attract',
        num_keys: Optional[int] = None,
        same_keys: bool = False,
    ) -> None:
        if (explicit is None) == (anchor_keys is None):
            raise ValueError('PairMasks needs exactly one of `explicit` and `anchor_keys`.')
        if explicit is not None and (anchor_rows is None or contrast_cols is None):
            raise ValueError('`explicit` needs `anchor_rows` and `contrast_cols`.')
        if denominator not in ('all', 'negatives'):
            raise ValueError(f"`denominator` must be 'all' or 'negatives', got {denominator!r}.")
        if false_negative_mode not in ('attract', 'eliminate'):
            raise ValueError(f"`false_negative_mode` must be 'attract' or 'eliminate', got {false_negative_mode!r}.")
        self.anchor_keys = anchor_keys
        self.contrast_keys = contrast_keys
        self.explicit = explicit
        self.anchor_rows = anchor_rows
        self.contrast_cols = contrast_cols
        self.self_index = self_index
        self.denominator = denominator
        self.false_negatives = false_negatives
        self.false_negative_mode = false_negative_mode
        self.num_keys = None if explicit is not None else num_keys
        self.same_keys = explicit is None and bool(same_keys)

    def block(self, start: int, end: int, num_cols: int, dtype: torch.dtype) -> Tuple[torch.Tensor, torch.Tensor]:
        """Masks of anchor rows ``start:end``.

        Args:
            start (int): First anchor row.
            end (int): One past the last anchor row.
            num_cols (int): Number of contrast columns ``N``.
            dtype (torch.dtype): Dtype of the positive weights.

        Returns:
            tuple: ``pos`` (``[m, N]`` weights, 0 where not positive) and ``den`` (``[m, N]`` bool).
        """
        if self.explicit is not None:
            assert self.anchor_rows is not None and self.contrast_cols is not None  # required with explicit
            rows = self.anchor_rows[start:end]
            cols = self.contrast_cols.clamp(min=0)
            pos = self.explicit[rows][:, cols].to(dtype)
            pos = pos * (self.contrast_cols >= 0).to(dtype)[None, :]
        else:
            assert self.anchor_keys is not None  # exactly one of explicit and anchor_keys
            contrast_keys = cast(torch.Tensor, self.contrast_keys)  # given with anchor_keys
            pos = (self.anchor_keys[start:end, None] == contrast_keys[None, :]).to(dtype)
        device = pos.device
        not_self = torch.ones(pos.shape, dtype=torch.bool, device=device)
        if self.self_index is not None:
            idx = self.self_index[start:end]
            rows = torch.nonzero(idx >= 0).squeeze(1)
            not_self[rows, idx[rows]] = False
            pos = pos * not_self
        fn = None
        if self.false_negatives is not None and self.false_negatives.numel() > 0:
            idx = self.false_negatives[start:end]
            fn = torch.zeros(pos.shape, dtype=torch.bool, device=device)
            valid = idx >= 0
            rows = torch.arange(idx.shape[0], device=device)[:, None].expand_as(idx)
            fn[rows[valid], idx[valid]] = True
            fn &= not_self
            if self.false_negative_mode == 'attract':
                pos = torch.where(fn, torch.ones_like(pos), pos)
        den = not_self
        if self.denominator == 'negatives':
            den = den & (pos == 0)
        if fn is not None and self.false_negative_mode == 'eliminate':
            den = den & ~fn
        return pos, den
