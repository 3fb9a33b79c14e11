# Copyright (c) mmssl_ext contributors. All rights reserved.
"""CLSA: MoCo v2 with in-batch negatives, strongly augmented views and distribution divergence minimisation."""

from typing import Dict, List, Optional, Tuple, cast

import torch
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from ..utils import all_gather_no_grad
from .mocov2 import MoCoV2

__all__ = ['CLSA']


@MODELS.register_module()
class CLSA(MoCoV2):
    """Contrastive Learning with Stronger Augmentations (CLSA), Wang & Qi, arXiv:2104.07713.

    Views per sample, in this order (``MultiView`` groups): ``[key, weak_1..weak_Lw, strong_1..strong_Ls]``.
    CLSA-Single is ``Lw = Ls = 1`` (weak 224 px, strong 96 px); CLSA-Multi ``Lw = Ls = 5``.

    * Contrastive term, per weak query: cross-entropy of ``[q.K_all, q.queue] / T`` with the target at the
      sample's own key, ``K_all`` the keys of the whole global batch (in-batch negatives). The target index
      is ``global_rank * B + i``; the official code uses the local GPU index, wrong beyond one node.
    * DDM, per (weak, strong) pair (``ddm_loss.pairs``): the detached softmax of the weak query's
      similarities to the same ``K_all + queue`` candidates supervises the strong query's.
    * Total: ``sum_weak L_c + alpha * sum_pairs L_d``, summed as the official code does.

    Query views of equal spatial size go through the backbone as one batch (``group_views``), so BN
    statistics of a group are shared; the official code runs each crop separately.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config (``MoCoV2Neck``).
        num_weak (int): Weak query views ``Lw``. Defaults to 1.
        num_strong (int): Strong query views ``Ls``. Defaults to 1.
        loss (dict, optional): Contrastive loss, queue form. Defaults to
            ``dict(type='QueueInfoNCELoss', temperature=0.2, in_batch_negatives=True, gather_distributed=True)``.
        ddm_loss (dict, optional): DDM loss; its ``loss_weight`` is ``alpha``. Defaults to
            ``dict(type='DDMLoss', temperature=0.2, pairs='all', loss_weight=1.0)``.
        group_views (bool): Batch query views of equal size through the backbone. Defaults to True.
        **kwargs: :class:`MoCoV2` arguments (``queue_len``, ``feat_dim``, ``momentum``, ...).
    """

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        num_weak: int = 1,
        num_strong: int = 1,
        loss: Optional[dict] = None,
        ddm_loss: Optional[dict] = None,
        group_views: bool = True,
        **kwargs,
    ) -> None:
        if num_weak < 1:
            raise ValueError(f'`num_weak` must be >= 1 (the contrastive term needs a weak query), got {num_weak}.')
        if num_strong < 0:
            raise ValueError(f'`num_strong` must be >= 0, got {num_strong}.')
        if loss is None:
            loss = dict(type='QueueInfoNCELoss', temperature=0.2, in_batch_negatives=True, gather_distributed=True)
        super().__init__(backbone=backbone, neck=neck, loss=loss, **kwargs)
        ddm_loss = ddm_loss if ddm_loss is not None else dict(type='DDMLoss', temperature=0.2, loss_weight=1.0)
        self.ddm_module = MODELS.build(ddm_loss)
        self.num_weak = num_weak
        self.num_strong = num_strong
        self.group_views = group_views

    def encode_queries(self, views: List[torch.Tensor]) -> List[torch.Tensor]:
        """Normalised embeddings of every query view, views of equal size batched together.

        Args:
            views (list[torch.Tensor]): ``[B, C, H_v, W_v]`` batches.

        Returns:
            list[torch.Tensor]: ``[B, feat_dim]`` per view, in input order.
        """
        if not self.group_views:
            return [self.encode_query(v) for v in views]
        groups: Dict[Tuple[int, ...], List[int]] = {}
        for index, view in enumerate(views):
            groups.setdefault(tuple(view.shape[1:]), []).append(index)
        out: List[Optional[torch.Tensor]] = [None] * len(views)
        for members in groups.values():
            embedded = self.encode_query(torch.cat([views[i] for i in members], dim=0))
            for i, chunk in zip(members, embedded.chunk(len(members), dim=0)):
                out[i] = chunk
        return cast(List[torch.Tensor], out)  # every slot is filled above

    def clsa_losses(
        self, weak: torch.Tensor, strong: torch.Tensor, key: torch.Tensor, negatives: torch.Tensor
    ) -> Dict[str, torch.Tensor]:
        """The CLSA terms on normalised embeddings.

        Args:
            weak (torch.Tensor): ``[B, Lw, D]`` weak queries.
            strong (torch.Tensor): ``[B, Ls, D]`` strong queries (``Ls`` may be 0).
            key (torch.Tensor): ``[B, D]`` local keys.
            negatives (torch.Tensor): ``[K, D]`` queue snapshot.

        Returns:
            dict[str, torch.Tensor]: ``loss_contrast`` (summed over weak views) and, when there are strong
            views and ``alpha != 0``, ``loss_ddm``.
        """
        losses = dict(
            loss_contrast=sum(
                self.loss_module(torch.stack([weak[:, v], key], dim=1), queue=negatives) for v in range(weak.shape[1])
            )
        )
        if strong.shape[1] > 0 and self.ddm_module.loss_weight != 0:
            candidates = torch.cat([all_gather_no_grad(key), negatives], dim=0)
            losses['loss_ddm'] = self.ddm_module(weak, strong, candidates)
        return losses

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """CLSA step: keys, grouped queries, contrastive + DDM terms, then enqueue the gathered keys.

        Args:
            inputs (list[torch.Tensor]): ``[key, weak_1..weak_Lw, strong_1..strong_Ls]`` view batches.
            data_samples (list[DataSample]): Unused.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_contrast`` and ``loss_ddm``.
        """
        self.check_views(inputs, 1 + self.num_weak + self.num_strong)
        key = self.encode_key(inputs[0])
        queries = self.encode_queries(list(inputs[1:]))
        dim = key.shape[1]
        weak = torch.stack(queries[: self.num_weak], dim=1)
        strong = torch.stack(queries[self.num_weak :], dim=1) if self.num_strong else key.new_zeros(len(key), 0, dim)
        losses = self.clsa_losses(weak, strong, key, self.negatives())
        self.enqueue(key)
        return losses
