# Copyright (c) mmssl_ext contributors. All rights reserved.
"""SimCLR with batch curation: pair filter, false-negative removal, Frechet batch gate, oversampling."""

import logging
from typing import Dict, List, Optional, Tuple, Union, cast

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import broadcast, get_rank
from mmengine.logging import print_log
from mmengine.model import ExponentialMovingAverage
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS
from mmssl_ext.utils.progress import training_position

from ..curation import BatchCurator
from ..losses import flatten_views
from ..utils import all_gather_no_grad, preserve_bn_stats
from .base import OwnStepMixin
from .contrastive_simclr import ContrastiveSimCLR

__all__ = ['CuratedSimCLR']


@MODELS.register_module()
class CuratedSimCLR(OwnStepMixin, ContrastiveSimCLR):
    """Batch curation for SimCLR, after Welle et al., arXiv:2108.08643 (policies: :class:`BatchCurator`).

    One train step:

    1. (oversampling only) a no-grad scoring pass over the ``M`` loaded pairs of each rank keeps the
       curator's ``select_num`` best ones (during the warm-up: the first ``select_num``);
    2. the training pass embeds the two views (one backbone pass, as SimCLR);
    3. the pair scores (the training pass's own embeddings, detached, or an EMA encoder's) are
       all-gathered; the pair filter and the Frechet gate decide on the **global** batch and rank 0's
       decision is broadcast, so every rank keeps the same pairs and skips the same steps;
    4. the loss (``NTXentLoss`` or ``DCLLoss``) runs on the kept pairs only: dropped pairs are neither
       anchors nor negatives and get exactly zero gradient; likely false negatives leave the
       denominators of their anchors;
    5. a gated step returns a loss that is zero through the graph, and the model's own training step
       (:meth:`train_step`; under DDP :meth:`multi_step_train`, routed by
       ``model_wrapper_cfg=dict(type='MultiStepDistributedDataParallel')``) hands the update to the optimizer
       wrapper as rejected: :class:`~mmssl_ext.engine.SkipStepOptimWrapper` leaves it out. With a wrapper that
       takes no rejected batches (a plain ``OptimWrapper``), momentum and weight decay would still move the
       weights: a warning says so.

    The step logs ``kept_frac``, ``pos_sim`` (mean positive cosine similarity, all pairs),
    ``pos_sim_kept``, ``frd``, ``fn_frac`` (share of negatives removed) and ``skipped``. During the
    curator's warm-up nothing is curated and the statistics are still logged. With every policy off
    (or ``pos_threshold=-1``, ``keep_fraction=1``) the loss is SimCLR's, bit for bit.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projection head config.
        curator (dict, optional): :class:`BatchCurator` config. Defaults to ``dict(type='BatchCurator')``
            (every policy off).
        score_with (str): ``'online'`` (the current encoder: the training pass's detached embeddings, or
            a no-grad pass that restores batch-norm statistics when oversampling) or ``'ema'`` (an
            exponential moving average of backbone and neck). Defaults to 'online'.
        ema_momentum (float): Momentum of the EMA scorer, MMEngine convention (0.004 = decay 0.996).
            Defaults to 0.004.
        **kwargs: :class:`ContrastiveSimCLR` arguments (``loss``, ``data_preprocessor``, ...).
    """

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        curator: Optional[dict] = None,
        score_with: str = 'online',
        ema_momentum: float = 0.004,
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        if self.num_views != 2:
            raise ValueError(f'CuratedSimCLR scores positive pairs of 2 views, got num_views={self.num_views}.')
        if not getattr(self.loss_module, 'supports_selection', False):
            raise ValueError(
                'CuratedSimCLR needs a loss that takes `keep` / `exclude` (NTXentLoss or DCLLoss), '
                f'got {type(self.loss_module).__name__}.'
            )
        if score_with not in ('online', 'ema'):
            raise ValueError(f"`score_with` must be 'online' or 'ema', got {score_with!r}.")
        if not 0.0 < ema_momentum <= 1.0:
            raise ValueError(f'`ema_momentum` must be in (0, 1] (MMEngine convention), got {ema_momentum}.')
        curator = dict(type='BatchCurator') if curator is None else curator
        self.curator = curator if isinstance(curator, BatchCurator) else MODELS.build(curator)
        self.score_with = score_with
        if score_with == 'ema':
            self.score_encoder = ExponentialMovingAverage(nn.Sequential(self.backbone, self.neck), ema_momentum)
        self._warned_skip = False
        self._rejected = False  # the gate's decision on the last batch (host bool, the same on every rank)
        self._in_own_step = False

    @torch.no_grad()
    def score(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """``[B, 2, D]`` normalised projections of a no-grad scoring pass (batch-norm statistics kept).

        Args:
            inputs (list[torch.Tensor]): The two view batches.

        Returns:
            torch.Tensor: Scoring embeddings.
        """
        batch = inputs[0].shape[0]
        images = torch.cat(list(inputs), dim=0)
        encoder = self.score_encoder if self.score_with == 'ema' else nn.Sequential(self.backbone, self.neck)
        with preserve_bn_stats(encoder):
            z = F.normalize(encoder(images)[0], dim=1)
        return z.view(2, batch, -1).transpose(0, 1)

    def _broadcast_decision(self, keep: torch.Tensor, skip: bool) -> Tuple[torch.Tensor, bool]:
        """Rank 0's keep mask and gate decision on every rank."""
        packed = torch.cat([keep.to(torch.uint8), torch.tensor([int(skip)], dtype=torch.uint8, device=keep.device)])
        broadcast(packed, src=0)
        return packed[:-1].bool(), bool(packed[-1])

    @staticmethod
    def _false_negative_share(
        exclude: torch.Tensor, anchor_keep: torch.Tensor, contrast_keep: torch.Tensor, offset: int
    ) -> float:
        """Share of the loss's negatives that ``exclude`` removes.

        The negatives of the loss are the entries of kept anchors and kept contrast samples of another
        sample: a sample's own views (self, positive) and dropped samples are not counted, though
        ``exclude`` may mark them.

        Args:
            exclude (torch.Tensor): ``[2B, 2N]`` bool, view-major anchor rows x contrast columns.
            anchor_keep (torch.Tensor): ``[B]`` bool kept anchors (this rank).
            contrast_keep (torch.Tensor): ``[N]`` bool kept contrast samples.
            offset (int): Index of this rank's first sample among the contrast samples.

        Returns:
            float: The share, 0 when there is no negative.
        """
        device = exclude.device
        anchor_ids = torch.arange(anchor_keep.shape[0], device=device).repeat(2) + offset
        contrast_ids = torch.arange(contrast_keep.shape[0], device=device).repeat(2)
        negatives = anchor_ids[:, None] != contrast_ids[None, :]
        negatives &= anchor_keep.to(device).repeat(2)[:, None] & contrast_keep.to(device).repeat(2)[None, :]
        return float((exclude & negatives).sum()) / max(int(negatives.sum()), 1)

    @property
    def rejected(self) -> bool:
        """Whether the Frechet gate rejected the last batch :meth:`loss` saw (the same on every rank)."""
        return self._rejected

    def _warn_once(self, message: str) -> None:
        if not self._warned_skip:
            self._warned_skip = True
            print_log(f'CuratedSimCLR: {message}', logger='current', level=logging.WARNING)

    def multi_step_train(
        self, model: nn.Module, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper
    ) -> Dict[str, torch.Tensor]:
        """Forward through ``model``, then one update, handed over as rejected when the gate rejected the batch.

        Args:
            model (nn.Module): ``self`` or the DDP wrapper around it (the forward goes through it).
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimiser wrapper.

        Returns:
            dict: Log variables.
        """
        self._in_own_step = True
        try:
            with optim_wrapper.optim_context(model):
                data = cast(dict, self.data_preprocessor(data, True))
                losses = model(data['inputs'], data['data_samples'], mode='loss')
        finally:
            self._in_own_step = False
        parsed, log_vars = self.parse_losses(losses)
        if getattr(optim_wrapper, 'takes_rejected_batches', False):
            optim_wrapper.update_params(parsed, rejected=self._rejected)
        else:
            if self._rejected:
                self._warn_once(
                    'the batch gate rejected a step but the optimizer wrapper takes no rejected batches: the step '
                    'gets zero gradients yet momentum and weight decay still apply. Set '
                    "optim_wrapper.type='SkipStepOptimWrapper' to leave the update out."
                )
            optim_wrapper.update_params(parsed)
        return log_vars

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """Curated SimCLR step (see the class docstring).

        Args:
            inputs (list[torch.Tensor]): The two view batches (``M`` samples when oversampling).
            data_samples (list[DataSample]): Unused.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss`` and the curation statistics.
        """
        self.check_views(inputs, self.num_views, same_shape=True)
        curator = self.curator
        active = curator.is_active(*training_position())
        if self.score_with == 'ema':
            self.score_encoder.update_parameters(nn.Sequential(self.backbone, self.neck))
        scores = None
        if curator.select_num is not None:
            if active:
                scores = self.score(inputs)
                index = curator.oversample(scores[:, 0], scores[:, 1])
                inputs = [x[index] for x in inputs]
                scores = scores[index]
            else:  # warm-up: the first select_num of the shuffled batch, so the trained batch size is constant
                if inputs[0].shape[0] < curator.select_num:
                    raise ValueError(
                        f'Oversampling keeps select_num={curator.select_num} pairs per rank but the loader brought '
                        f'{inputs[0].shape[0]}; set train_dataloader.batch_size > select_num.'
                    )
                inputs = [x[: curator.select_num] for x in inputs]
        features = self.embed(inputs)
        if self.score_with == 'online':
            scores = features.detach()
        elif scores is None:
            scores = self.score(inputs)
        batch = features.shape[0]
        gathered = all_gather_no_grad(scores)
        selection = curator.select_pairs(gathered[:, 0], gathered[:, 1], active=active)
        keep_all, skip = self._broadcast_decision(selection.keep, selection.skip)
        distributed = getattr(self.loss_module, 'gather_distributed', False)
        offset = get_rank() * batch
        keep = keep_all[offset : offset + batch]
        exclude = None
        fn_frac = 0.0
        if active and curator.neg_threshold is not None:
            contrast = flatten_views(gathered if distributed else scores)
            exclude = curator.false_negatives(flatten_views(scores), contrast)
            assert exclude is not None  # neg_threshold is set
            contrast_keep, first = (keep_all, offset) if distributed else (keep, 0)
            fn_frac = self._false_negative_share(exclude, keep, contrast_keep, first)
        loss = self.loss_module(features, keep=None if bool(keep_all.all()) else keep, exclude=exclude)
        self._rejected = skip
        if skip and not self._in_own_step:
            self._warn_once(
                'the batch gate rejected a step that does not run through CuratedSimCLR.train_step (under DDP set '
                "model_wrapper_cfg=dict(type='MultiStepDistributedDataParallel')): the update is not left out."
            )
        if skip:
            loss = loss * 0.0
        stats = dict(selection.stats, fn_frac=fn_frac, skipped=float(skip))
        logs = {name: torch.tensor(value, device=loss.device) for name, value in stats.items()}
        return dict(loss=loss, **logs)
