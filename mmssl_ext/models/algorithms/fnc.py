# Copyright (c) mmssl_ext contributors. All rights reserved.
"""FNC: SimCLR with support views and false-negative cancellation, in-batch or against an EMA memory bank."""

from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from ..utils import HostStepsEMA, all_gather_no_grad, rank_offset
from .contrastive_simclr import ContrastiveSimCLR

__all__ = ['FNC']


@MODELS.register_module()
class FNC(ContrastiveSimCLR):
    """Boosting Contrastive Self-Supervised Learning with False Negative Cancellation, Huynh et al., arXiv:2011.11765.

    Each sample comes with ``num_views`` views (the two main views and ``support_size`` support views of the
    official code, 2 + 8), all of them anchors. :class:`FNCLoss` detects the false negatives ``F_i`` of each sample
    (max over its views' similarities, top-k above a threshold) and attracts (or eliminates) them.

    * ``memory_multiplier > 0`` (the official default, 16): an EMA copy of backbone + projector embeds every view;
      its features of the global batch (view-major, all ranks gathered) enter the front of a FIFO bank of
      ``memory_multiplier x global batch`` columns (zeros until written, as the official code); the online anchors
      are contrasted with that bank and the detection runs on the EMA views against it. The bank is a registered
      buffer (saved in checkpoints, identical on every rank); its length is set by the first step's global batch
      and a checkpoint restores it.
    * ``memory_multiplier = 0``: the in-batch form (``FNCLoss`` on ``[B, V, D]``; ``threshold > 1`` is SimCLR).

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projection head config (3 non-linear layers, 128-d in the official code).
        loss (dict | nn.Module, optional): The FNC loss. Defaults to
            ``dict(type='FNCLoss', temperature=0.1, topk=10, threshold=0.7, gather_distributed=True)``.
        num_views (int): Views per sample, 2 + support views. Defaults to 10.
        memory_multiplier (int): Bank length in global batches; 0 disables the bank. Must be >= ``num_views``
            (the official check: the bank holds the current batch's views). Defaults to 16.
        momentum (float): EMA momentum of the bank encoder, MMEngine convention (official decay 0.999).
            Defaults to 0.001.
        feat_dim (int): Projection dimension. Defaults to 128.
        **kwargs: :class:`ContrastiveSimCLR` arguments (``pretrained``, ``data_preprocessor``, ``init_cfg``).
    """

    default_loss: dict = dict(type='FNCLoss', temperature=0.1, topk=10, threshold=0.7, gather_distributed=True)
    memory: torch.Tensor  # the bank buffer (``memory_multiplier > 0``)

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        loss: Optional[Union[dict, nn.Module]] = None,
        num_views: int = 10,
        memory_multiplier: int = 16,
        momentum: float = 0.001,
        feat_dim: int = 128,
        **kwargs,
    ) -> None:
        if memory_multiplier < 0 or (0 < memory_multiplier < num_views):
            raise ValueError(
                f'`memory_multiplier` ({memory_multiplier}) must be 0 (no bank) or >= num_views ({num_views}): '
                'the bank holds every view of the current batch.'
            )
        if not 0.0 < momentum < 1.0:
            raise ValueError(
                f'`momentum` must be in (0, 1) (MMEngine convention: 0.001 = decay 0.999), got {momentum}.'
            )
        super().__init__(backbone=backbone, neck=neck, loss=loss, num_views=num_views, **kwargs)
        self.memory_multiplier = memory_multiplier
        self.feat_dim = feat_dim
        if memory_multiplier > 0:
            self.encoder_ema = HostStepsEMA(nn.Sequential(self.backbone, self.neck), momentum)
            self.register_buffer('memory', torch.zeros(0, feat_dim))

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        saved = state_dict.get(prefix + 'memory')
        if self.memory_multiplier > 0 and saved is not None and saved.shape != self.memory.shape:
            self.memory = self.memory.new_zeros(saved.shape)  # a checkpoint's bank sets the length
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @torch.no_grad()
    def update_memory(self, inputs: List[torch.Tensor]) -> tuple:
        """Embed the views with the EMA encoder and push the global batch to the front of the bank.

        Args:
            inputs (list[torch.Tensor]): ``V`` view batches of ``B`` images.

        Returns:
            tuple: ``[B, V, D]`` local EMA features and ``[B, V]`` bank columns of the local samples' views.
        """
        self.encoder_ema.update_parameters(nn.Sequential(self.backbone, self.neck))
        views, batch = len(inputs), inputs[0].shape[0]
        ema = F.normalize(self.encoder_ema(torch.cat(list(inputs), dim=0))[0], dim=1)
        gathered = torch.cat([all_gather_no_grad(view) for view in ema.view(views, batch, -1)])  # view-major
        global_batch = gathered.shape[0] // views
        length = self.memory_multiplier * global_batch
        if self.memory.shape[0] == 0:
            self.memory = gathered.new_zeros(length, self.feat_dim)
        elif self.memory.shape[0] != length:
            raise ValueError(
                f'FNC: the memory bank holds {self.memory.shape[0]} columns (memory_multiplier '
                f'{self.memory_multiplier} x the global batch it was built for), but this global batch of '
                f'{global_batch} needs {length}; keep train_dataloader.batch_size x world size of the checkpoint.'
            )
        self.memory.copy_(torch.cat([gathered.to(self.memory.dtype), self.memory[: length - gathered.shape[0]]]))
        offset = rank_offset(batch)
        own = torch.stack([v * global_batch + offset + torch.arange(batch) for v in range(views)], dim=1)
        return ema.view(views, batch, -1).transpose(0, 1), own.to(ema.device)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """FNC loss of the ``V`` views: in-batch, or against the bank after this step's EMA features entered it.

        Args:
            inputs (list[torch.Tensor]): ``V`` view batches.
            data_samples (list[DataSample]): Unused.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss``.
        """
        anchors = self.embed(inputs)
        if self.memory_multiplier == 0:
            return dict(loss=self.loss_module(anchors))
        ema, own = self.update_memory(inputs)
        return dict(loss=self.loss_module(anchors, memory=self.memory.clone(), memory_features=ema, own_columns=own))
