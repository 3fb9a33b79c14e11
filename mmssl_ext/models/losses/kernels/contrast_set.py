# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Assemble anchors, contrast set and masks of SupCon-style losses from ``[B, V, D]`` features."""

from dataclasses import dataclass
from typing import Optional

import torch

from ..utils import flatten_views, gather_batch, gather_labels, local_view_rows
from .pair_masks import PairMasks

__all__ = ['ContrastSet', 'build_contrast_set']


@dataclass
class ContrastSet:
    """Anchors ``[M, D]``, contrast ``[N, D]`` (view-major, global batch) and the keys that define masks."""

    anchors: torch.Tensor
    contrast: torch.Tensor
    anchor_rows: torch.Tensor
    anchor_sample: torch.Tensor
    contrast_sample: torch.Tensor
    anchor_labels: Optional[torch.Tensor]
    contrast_labels: Optional[torch.Tensor]
    explicit: Optional[torch.Tensor]
    anchor_local: torch.Tensor
    offset: int
    global_batch: int
    anchor_views: int

    def masks(self, denominator: str = 'all', **kwargs) -> PairMasks:
        """The ``PairMasks`` of this set.

        Args:
            denominator (str): ``'all'`` or ``'negatives'``. Defaults to 'all'.
            **kwargs: Extra ``PairMasks`` arguments (false negatives).

        Returns:
            PairMasks: Positives by explicit mask, else labels, else sample identity; self excluded.
        """
        if self.explicit is not None:
            return PairMasks(
                explicit=self.explicit,
                anchor_rows=self.anchor_local,
                contrast_cols=self.contrast_sample,
                self_index=self.anchor_rows,
                denominator=denominator,
                **kwargs,
            )
        if self.anchor_labels is not None:
            keys_a, keys_c, num_keys = self.anchor_labels, self.contrast_labels, None
        else:
            keys_a, keys_c, num_keys = self.anchor_sample, self.contrast_sample, self.global_batch
        return PairMasks(
            anchor_keys=keys_a,
            contrast_keys=keys_c,
            self_index=self.anchor_rows,
            denominator=denominator,
            num_keys=num_keys,
            # every row anchors (one process, contrast_mode='all'): the key lists and self rows coincide
            same_keys=self.anchors is self.contrast,
            **kwargs,
        )


def build_contrast_set(
    features: torch.Tensor,
    labels: Optional[torch.Tensor] = None,
    mask: Optional[torch.Tensor] = None,
    contrast_mode: str = 'all',
    gather_distributed: bool = False,
    contrast_with: Optional[torch.Tensor] = None,
) -> ContrastSet:
    """Flatten (and optionally all-gather) features into the SupCon anchor / contrast layout.

    Args:
        features (torch.Tensor): ``[B, V, D]`` normalised features (checked by the caller).
        labels (torch.Tensor, optional): ``[B]`` class labels. Defaults to None.
        mask (torch.Tensor, optional): ``[B, B_global]`` positive mask of local anchors against every
            sample of the (gathered) batch; may be asymmetric or weighted. Defaults to None.
        contrast_mode (str): ``'all'`` (every view anchors) or ``'one'`` (view 0 only). Defaults to 'all'.
        gather_distributed (bool): Contrast against the samples of every rank. Defaults to False.
        contrast_with (torch.Tensor, optional): ``[B, V, D]`` features that form the contrast set instead of
            ``features`` (UniCon's universum: column ``v * B_global + j`` is ``contrast_with[j, v]``, carrying
            sample ``j``'s label); anchors stay the rows of ``features``. Defaults to None.

    Returns:
        ContrastSet: The assembled set; this rank's anchors only.
    """
    if contrast_mode not in ('all', 'one'):
        raise ValueError(f"`contrast_mode` must be 'all' or 'one', got {contrast_mode!r}.")
    if labels is not None and mask is not None:
        raise ValueError('Pass either `labels` or `mask`, not both.')
    batch, views, _ = features.shape
    device = features.device
    if contrast_with is not None and tuple(contrast_with.shape) != tuple(features.shape):
        raise ValueError(
            f'`contrast_with` must match `features` {tuple(features.shape)}, got {tuple(contrast_with.shape)}.'
        )
    gathered, offset = gather_batch(features if contrast_with is None else contrast_with, gather_distributed)
    global_batch = gathered.shape[0]
    contrast = flatten_views(gathered)
    anchor_views = views if contrast_mode == 'all' else 1
    anchor_rows = local_view_rows(batch, anchor_views, global_batch, offset, device)
    if contrast_with is not None:
        # anchors are this rank's own rows of `features`; the contrast set is another tensor
        anchors = flatten_views(features[:, :anchor_views])
    elif anchor_rows.shape[0] == contrast.shape[0]:
        # every row anchors (one process, contrast_mode='all'): pass the same tensor, so the kernel can
        # use the symmetry of the similarity matrix
        anchors = contrast
    else:
        anchors = contrast[anchor_rows]
    sample_ids = torch.arange(global_batch, device=device)
    contrast_sample = sample_ids.repeat(views)
    anchor_local = torch.arange(batch, device=device).repeat(anchor_views)
    anchor_sample = anchor_local + offset
    anchor_labels = contrast_labels = explicit = None
    if mask is not None:
        if mask.dim() != 2 or tuple(mask.shape) != (batch, global_batch):
            raise ValueError(
                f'`mask` must be shaped [B, B_global] = [{batch}, {global_batch}], got {tuple(mask.shape)}.'
            )
        explicit = mask.detach()
    elif labels is not None:
        labels_g = gather_labels(labels, gather_distributed)
        anchor_labels = labels.repeat(anchor_views)
        contrast_labels = labels_g.repeat(views)
    return ContrastSet(
        anchors=anchors,
        contrast=contrast,
        anchor_rows=anchor_rows,
        anchor_sample=anchor_sample,
        contrast_sample=contrast_sample,
        anchor_labels=anchor_labels,
        contrast_labels=contrast_labels,
        explicit=explicit,
        anchor_local=anchor_local,
        offset=offset,
        global_batch=global_batch,
        anchor_views=anchor_views,
    )
