# Copyright (c) mmssl_ext contributors. All rights reserved.
"""MoCHi: MoCo v2 with per-query synthetic hard negatives."""

from typing import Optional

import torch

from mmssl_ext.registry import MODELS
from mmssl_ext.utils.progress import training_position

from .mocov2 import MoCoV2

__all__ = ['MoCHi', 'current_epoch']


def current_epoch() -> Optional[int]:
    """The runner's 0-based epoch, ``None`` outside a runner (kept for imports; use ``training_position``)."""
    return training_position().epoch


@MODELS.register_module()
class MoCHi(MoCoV2):
    """Hard Negative Mixing for Contrastive Learning (MoCHi), Kalantidis et al., arXiv:2010.01028.

    MoCo v2's step (inherited unchanged) where each query also meets ``s + s'`` synthetic negatives built by
    :class:`MoCHiMixer` from its ``N`` hardest queue entries (and, for ``s'``, from itself): this class only
    overrides :meth:`MoCoV2.extra_negatives`. The synthetic points are per query,
    detached and discarded after the step: they never enter the queue. Mixing starts at the mixer's
    ``start_epoch`` / ``start_iter``, compared with :func:`~mmssl_ext.utils.training_position` (0-based);
    outside a runner mixing is on.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config (``MoCoV2Neck``).
        mixer (dict, optional): :class:`MoCHiMixer` config. Defaults to
            ``dict(type='MoCHiMixer', num_hard=1024, num_mix=1024, num_query_mix=128, start_epoch=0)``.
        **kwargs: :class:`MoCoV2` arguments (``loss``, ``queue_len``, ``feat_dim``, ``momentum``, ...).
    """

    def __init__(self, backbone: dict, neck: dict, mixer: Optional[dict] = None, **kwargs) -> None:
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        mixer = mixer if mixer is not None else dict(type='MoCHiMixer')
        self.mixer = MODELS.build(mixer)
        if self.mixer.num_hard > self.queue_len:
            raise ValueError(
                f'`mixer.num_hard` ({self.mixer.num_hard}) exceeds `queue_len` ({self.queue_len}): the hardest '
                'negatives are drawn from the queue.'
            )

    def extra_negatives(self, query: torch.Tensor, negatives: torch.Tensor) -> Optional[torch.Tensor]:
        """The mixer's synthetic hard negatives of each query (``[B, 0, D]`` before its start).

        Args:
            query (torch.Tensor): ``[B, D]`` normalised queries.
            negatives (torch.Tensor): ``[K, D]`` queue snapshot.

        Returns:
            torch.Tensor: ``[B, s + s', D]`` detached unit-norm negatives.
        """
        epoch, iteration = training_position()
        return self.mixer(query, negatives, epoch=epoch, iteration=iteration)
