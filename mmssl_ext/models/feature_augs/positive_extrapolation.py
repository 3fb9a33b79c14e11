# Copyright (c) mmssl_ext contributors. All rights reserved.
"""FT positive extrapolation: push the two features of a positive pair apart (hard positives)."""

from typing import Optional

import torch

from mmssl_ext.registry import FEATURE_AUGMENTERS

from .base import BaseFeatureAugmenter, FeatureTriplet, check_triplet, sample_beta

__all__ = ['PositiveExtrapolation']


@FEATURE_AUGMENTERS.register_module()
class PositiveExtrapolation(BaseFeatureAugmenter):
    """``a' = lam a + (1 - lam) t`` and ``t' = lam t + (1 - lam) a`` with ``lam = 1 + Beta(alpha, alpha)``.

    ``lam`` is in ``[1, 2]``: one scalar per call, as FT's ``sep_alpha`` with ``dim_mask='none'``, or one per
    element with ``per_element=True``. Writes both ``anchor`` and ``target`` (``on`` is fixed); with
    ``apply_prob < 1`` a row is extrapolated in both or in neither. Gradient reaches the anchor through both
    outputs unless the caller detaches it (:class:`FeatureAugmentation` with ``detach_input=True`` detaches both
    fields, so the FT recipe needs ``detach_input=False``).

    Paper: Zhu et al., "Improving Contrastive Learning by Visualizing Feature Transformation", arXiv:2108.02982
    (ICCV 2021); verified against the official ``memory/mem_moco.py``. Used here for Zhang et al., "Feature
    Augmentation for Self-supervised Contrastive Learning", arXiv:2410.12396.

    Args:
        alpha (float): Beta parameter, > 0 (FT's ``pos_alpha``). Defaults to 2.0.
        per_element (bool): Draw ``lam`` per element of ``[N, D]`` instead of once per call. Defaults to False.
        apply_prob (float): Per-row probability of augmenting. Defaults to 1.0.
        renorm (bool): L2-normalise the augmented rows (FT's ``postmix_norm``). Defaults to False.
        lam (float, optional): Fixed ``lam`` instead of the draw, for tests and ablations (1 is the identity;
            values outside ``[1, 2]`` are allowed). Defaults to None.
    """

    def __init__(
        self,
        alpha: float = 2.0,
        per_element: bool = False,
        apply_prob: float = 1.0,
        renorm: bool = False,
        lam: Optional[float] = None,
    ) -> None:
        super().__init__(on=('anchor', 'target'), apply_prob=apply_prob, renorm=renorm)
        if not alpha > 0:
            raise ValueError(f'`alpha` must be > 0, got {alpha}.')
        self.alpha = float(alpha)
        self.per_element = bool(per_element)
        self.lam = None if lam is None else float(lam)

    def forward(self, feats: FeatureTriplet, generator: Optional[torch.Generator] = None) -> FeatureTriplet:
        """Extrapolate the positive pair; see :meth:`BaseFeatureAugmenter.forward`."""
        feats = check_triplet(feats)
        a, t = feats.anchor, feats.target
        if self.lam is not None:
            lam = torch.tensor(self.lam, device=a.device, dtype=a.dtype)
        else:
            shape = a.shape if self.per_element else ()
            lam = 1 + sample_beta(self.alpha, self.alpha, shape, generator, a.device, a.dtype)
        mask = self.row_mask(a.shape[0], generator, a.device)
        anchor = self.finish(a, lam * a + (1 - lam) * t, mask)
        target = self.finish(t, lam * t + (1 - lam) * a, mask)
        return feats._replace(anchor=anchor, target=target)

    def extra_repr(self) -> str:
        """Settings shown by ``repr``."""
        return f'alpha={self.alpha}, per_element={self.per_element}, lam={self.lam}, {super().extra_repr()}'
