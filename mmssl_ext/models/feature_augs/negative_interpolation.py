# Copyright (c) mmssl_ext contributors. All rights reserved.
"""FT negative interpolation: mix the negatives (queue) with a permutation of themselves."""

from typing import Optional

import torch

from mmssl_ext.registry import FEATURE_AUGMENTERS

from .base import BaseFeatureAugmenter, FeatureTriplet, check_triplet, rand_perm, sample_beta

__all__ = ['NegativeInterpolation']


@FEATURE_AUGMENTERS.register_module()
class NegativeInterpolation(BaseFeatureAugmenter):
    """``n' = mu n + (1 - mu) n[perm]``, ``mu ~ Beta(alpha, alpha)``, ``perm`` a random permutation of rows.

    ``mu`` is one scalar per call (FT's ``sep_alpha`` with ``dim_mask='none'``) or one per element with
    ``per_element=True``. Writes only ``negatives``, as a new tensor: the input (often a view of the MoCo queue
    buffer) is never modified, so the queue keeps the un-mixed keys.

    Paper: Zhu et al., "Improving Contrastive Learning by Visualizing Feature Transformation", arXiv:2108.02982
    (ICCV 2021); verified against the official ``memory/mem_moco.py``. Used here for Zhang et al., "Feature
    Augmentation for Self-supervised Contrastive Learning", arXiv:2410.12396.

    Args:
        alpha (float): Beta parameter, > 0 (FT's ``neg_alpha``). Defaults to 1.6.
        per_element (bool): Draw ``mu`` per element of ``[K, D]`` instead of once per call. Defaults to False.
        apply_prob (float): Per-row probability of augmenting. Defaults to 1.0.
        renorm (bool): L2-normalise the augmented rows (FT's ``postmix_norm`` on negatives). Defaults to False.
        mu (float, optional): Fixed ``mu`` in ``[0, 1]`` instead of the draw (1 is the identity). Defaults to None.
    """

    allowed_fields = ('negatives',)

    def __init__(
        self,
        alpha: float = 1.6,
        per_element: bool = False,
        apply_prob: float = 1.0,
        renorm: bool = False,
        mu: Optional[float] = None,
    ) -> None:
        super().__init__(on=('negatives',), apply_prob=apply_prob, renorm=renorm)
        if not alpha > 0:
            raise ValueError(f'`alpha` must be > 0, got {alpha}.')
        if mu is not None and not 0.0 <= mu <= 1.0:
            raise ValueError(f'`mu` must be in [0, 1] or None, got {mu}.')
        self.alpha = float(alpha)
        self.per_element = bool(per_element)
        self.mu = None if mu is None else float(mu)

    def forward(self, feats: FeatureTriplet, generator: Optional[torch.Generator] = None) -> FeatureTriplet:
        """Interpolate the negatives; see :meth:`BaseFeatureAugmenter.forward`."""
        feats = check_triplet(feats)
        n = feats.negatives
        if n is None:
            raise ValueError(
                '`negatives` is None: NegativeInterpolation needs a [K, D] set of negatives (a queue), which only '
                'queue-based algorithms (MoCo v2) provide; BYOL and SimSiam have none.'
            )
        if self.mu is not None:
            mu = torch.tensor(self.mu, device=n.device, dtype=n.dtype)
        else:
            shape = n.shape if self.per_element else ()
            mu = sample_beta(self.alpha, self.alpha, shape, generator, n.device, n.dtype)
        perm = rand_perm(n.shape[0], generator, n.device)
        mixed = mu * n + (1 - mu) * n[perm]
        negatives = self.finish(n, mixed, self.row_mask(n.shape[0], generator, n.device))
        return feats._replace(negatives=negatives)

    def extra_repr(self) -> str:
        """Settings shown by ``repr``."""
        return f'alpha={self.alpha}, per_element={self.per_element}, mu={self.mu}, {super().extra_repr()}'
