# Copyright (c) mmssl_ext contributors. All rights reserved.
"""MoCo v2 with a checkpointed, globally gathered queue: the base of CLSA, MoCHi and feature augmentation."""

from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from ..utils import HostStepsEMA, all_gather_no_grad
from .base import ContrastiveObjectiveMixin

__all__ = ['MoCoV2']


@MODELS.register_module()
class MoCoV2(ContrastiveObjectiveMixin, BaseSelfSupervisor):
    """Improved Baselines with Momentum Contrastive Learning (MoCo v2), Chen et al., arXiv:2003.04297.

    mmpretrain's :class:`MoCo` (same buffers, key encoder and random draws, equal losses; built on its base
    :class:`BaseSelfSupervisor` so that no key encoder is built twice) with the loss taken from
    :class:`QueueInfoNCELoss` and a queue that:

    * is a pair of registered buffers (``queue`` ``[feat_dim, queue_len]``, mmpretrain's layout, and
      ``queue_ptr``), so it is saved in and restored from checkpoints;
    * receives the keys of every rank (all-gathered before enqueue), so it is identical on all ranks;
    * accepts any global batch up to ``queue_len`` (writes wrap around) and raises a ``ValueError``
      naming the sizes when the global batch exceeds it.

    The key encoder is an :class:`ExponentialMovingAverage` of ``Sequential(backbone, neck)`` updated
    before the keys are computed; ``momentum`` follows MMEngine's convention (0.001 here is the paper's
    0.999). Subclasses reuse :meth:`encode_query`, :meth:`encode_key`, :meth:`negatives` and
    :meth:`enqueue`; a subclass that only adds per-query negatives (MoCHi) overrides :meth:`extra_negatives`
    and keeps this step. A loss may return a scalar or a dict of named terms (feature augmentation's
    ``loss_base`` / ``loss_aug``); MMEngine logs each term and sums them.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config (``MoCoV2Neck``).
        head (dict, optional): Not used: an mmpretrain-style ``ContrastiveHead`` raises a ``ValueError``
            that points to ``loss`` (its temperature would otherwise be silently ignored). Defaults to None.
        loss (dict | nn.Module): Contrastive loss config or built module, queue form. Defaults to
            ``dict(type='QueueInfoNCELoss', temperature=0.2)``.
        queue_len (int): Number of negative keys ``K``. Defaults to 65536.
        feat_dim (int): Embedding dimension. Defaults to 128.
        momentum (float): EMA momentum of the key encoder, MMEngine convention. Defaults to 0.001.
        shuffle_bn (bool): Shuffle the key batch across ranks before the key encoder. Defaults to True.
        only_filled_queue (bool): Give as negatives only the queue entries :meth:`enqueue` has written, leaving
            out the random initialisation until the queue is full (the count ``queue_filled`` is a checkpointed
            buffer; a checkpoint without it loads as a full queue). The official code contrasts with the random
            entries too: over a long schedule they last a negligible share of the run (``queue_len / batch``
            iterations), over a short one they can be a third of it and pull every projection towards one
            direction (docs/benchmarks.md, budget benchmark). Defaults to False (the official behaviour).
        symmetric (bool): Also contrast the second view's query with the first view's key and average the
            two losses (solo-learn's MoCo v2+, MoCo v3); both keys enter the queue. CLSA's own step ignores
            it. Defaults to False (the paper's one-directional loss).
        pretrained (str, optional): Pre-trained checkpoint. Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    default_loss: dict = dict(type='QueueInfoNCELoss', temperature=0.2)

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        head: Optional[dict] = None,
        loss: Optional[Union[dict, nn.Module]] = None,
        queue_len: int = 65536,
        feat_dim: int = 128,
        momentum: float = 0.001,
        shuffle_bn: bool = True,
        symmetric: bool = False,
        only_filled_queue: bool = False,
        pretrained: Optional[str] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
    ) -> None:
        if head is not None:
            self.build_objective(head, None, self.default_loss)  # raises: the objective comes from `loss`
        if queue_len < 1:
            raise ValueError(f'`queue_len` must be >= 1, got {queue_len}.')
        if not 0.0 < momentum < 1.0:  # MMEngine's EMA asserts the open interval
            raise ValueError(
                f"`momentum` must be in (0, 1) (MMEngine convention: 0.001 = the paper's 0.999), got {momentum}."
            )
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=None,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        # mmpretrain's MoCo uses MMEngine's EMA, which reads its step counter from the device twice per update;
        # this one counts on the host
        self.encoder_k = self.build_key_encoder(nn.Sequential(self.backbone, self.neck), momentum)
        # the queue of mmpretrain's MoCo: same layout, same draw (after the encoders, as there)
        self.queue_len = queue_len
        self.register_buffer('queue', F.normalize(torch.randn(feat_dim, queue_len), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self.feat_dim = feat_dim
        self.shuffle_bn = shuffle_bn
        self.symmetric = symmetric
        self.only_filled_queue = only_filled_queue
        self._filled_host: Optional[int] = None  # host mirror of ``queue_filled``: no device read per step
        if only_filled_queue:
            self.register_buffer('queue_filled', torch.zeros((), dtype=torch.long))
        self.loss_module = self.build_objective(None, loss, self.default_loss)

    def build_key_encoder(self, online: nn.Module, momentum: float) -> HostStepsEMA:
        """The momentum copy of ``online`` (constant momentum here; SCE anneals it).

        Args:
            online (nn.Module): ``Sequential(backbone, neck)``.
            momentum (float): EMA momentum, MMEngine convention.

        Returns:
            HostStepsEMA: The key encoder.
        """
        return HostStepsEMA(online, momentum)

    def encode_query(self, img: torch.Tensor) -> torch.Tensor:
        """``[B, feat_dim]`` L2-normalised query embeddings (with gradient)."""
        return F.normalize(self.neck(self.backbone(img))[0], dim=1)

    @torch.no_grad()
    def encode_key(self, img: torch.Tensor, update: bool = True) -> torch.Tensor:
        """``[B, feat_dim]`` L2-normalised key embeddings (no gradient).

        Args:
            img (torch.Tensor): Key view batch.
            update (bool): Update the key encoder first (once per step). Defaults to True.

        Returns:
            torch.Tensor: Normalised keys in the input's sample order.
        """
        if update:
            self.encoder_k.update_parameters(nn.Sequential(self.backbone, self.neck))
        if self.shuffle_bn:
            img, idx_unshuffle = batch_shuffle_ddp(img)
        key = F.normalize(self.encoder_k(img)[0], dim=1)
        if self.shuffle_bn:
            key = batch_unshuffle_ddp(key, idx_unshuffle)
        return key

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        if self.only_filled_queue and prefix + 'queue_filled' not in state_dict:
            state_dict[prefix + 'queue_filled'] = torch.tensor(self.queue_len)  # a saved queue holds real keys
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._filled_host = None  # re-read the restored count on the next step

    def filled(self) -> int:
        """Queue entries written so far (``queue_len`` once full, and always without ``only_filled_queue``)."""
        if not self.only_filled_queue:
            return self.queue_len
        if self._filled_host is None:
            self._filled_host = int(self.queue_filled)
        return self._filled_host

    def negatives(self) -> torch.Tensor:
        """``[K, feat_dim]`` snapshot of the queue (a copy: enqueueing must not alter saved tensors).

        With ``only_filled_queue`` it holds the written entries only (``K`` grows from 0 to ``queue_len``).
        """
        return self.queue.T[: self.filled()].clone().detach()

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> torch.Tensor:
        """Write the keys of every rank into the queue at ``queue_ptr`` and advance it.

        Args:
            keys (torch.Tensor): ``[B, feat_dim]`` local keys; all ranks are gathered first.

        Returns:
            torch.Tensor: The gathered ``[W * B, feat_dim]`` keys that were enqueued.
        """
        if keys.dim() != 2 or keys.shape[1] != self.feat_dim:
            raise ValueError(f'keys must be [B, feat_dim={self.feat_dim}], got {tuple(keys.shape)}.')
        keys = all_gather_no_grad(keys)
        batch = keys.shape[0]
        if batch > self.queue_len:
            raise ValueError(
                f'The global batch ({batch} keys over all ranks) exceeds `queue_len` ({self.queue_len}); '
                'raise `queue_len` or lower the batch size.'
            )
        # the pointer stays on the device: no host read per step
        index = (torch.arange(batch, device=keys.device) + self.queue_ptr) % self.queue_len
        self.queue[:, index] = keys.T.to(self.queue.dtype)
        self.queue_ptr.copy_((self.queue_ptr + batch) % self.queue_len)
        if self.only_filled_queue and self.filled() < self.queue_len:
            self._filled_host = min(self.queue_len, self.filled() + batch)
            self.queue_filled.fill_(self._filled_host)
        return keys

    def check_global_batch(self, global_batch: int) -> None:
        """Raise a ``ValueError`` before training when one step would write more keys than the queue holds.

        A queue length that the global batch does not divide is accepted on purpose: writes wrap around, so
        every key enters the queue once and the oldest are overwritten first (mmpretrain asserts divisibility
        instead, which also refuses a last batch of another size).

        Args:
            global_batch (int): Samples per step over all ranks (``train_dataloader.batch_size`` x world size).
        """
        keys = global_batch * (2 if self.symmetric else 1)
        if keys > self.queue_len:
            per = ' (two keys per sample with symmetric=True)' if self.symmetric else ''
            raise ValueError(
                f'{type(self).__name__}: a step writes {keys} keys{per} (global batch {global_batch} = '
                f'train_dataloader.batch_size x world size), more than model.queue_len={self.queue_len}; raise '
                f'model.queue_len to at least {keys} or lower train_dataloader.batch_size.'
            )

    def extra_negatives(self, query: torch.Tensor, negatives: torch.Tensor) -> Optional[torch.Tensor]:
        """Per-query negatives beyond the queue (none in MoCo v2; MoCHi's synthetic ones).

        Args:
            query (torch.Tensor): ``[B, feat_dim]`` normalised queries.
            negatives (torch.Tensor): ``[K, feat_dim]`` queue snapshot.

        Returns:
            torch.Tensor, optional: ``[B, S, feat_dim]`` negatives, or None.
        """
        return None

    def contrast(self, query: torch.Tensor, key: torch.Tensor, negatives: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The loss terms of one direction: each query against its key, the queue and its extra negatives.

        Args:
            query (torch.Tensor): ``[B, feat_dim]`` normalised queries.
            key (torch.Tensor): ``[B, feat_dim]`` normalised keys.
            negatives (torch.Tensor): ``[K, feat_dim]`` queue snapshot.

        Returns:
            dict[str, torch.Tensor]: ``loss``, or the named terms of a loss that returns a dict.
        """
        extra = self.extra_negatives(query, negatives)
        kwargs = {} if extra is None else dict(extra_negatives=extra)
        out = self.loss_module(torch.stack([query, key], dim=1), queue=negatives, **kwargs)
        return out if isinstance(out, dict) else dict(loss=out)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """MoCo v2 step: InfoNCE of the query view against its key and the queue, then enqueue.

        With ``symmetric=True`` each view is a query of the other view's key, against the same queue
        snapshot; each loss term is the mean of the two directions and both key batches are enqueued.

        Args:
            inputs (list[torch.Tensor]): ``[query view, key view]`` batches.
            data_samples (list[DataSample]): Unused.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss`` (or the loss's named terms).
        """
        self.check_views(inputs, 2)
        query = self.encode_query(inputs[0])
        key = self.encode_key(inputs[1])
        negatives = self.negatives()
        losses = self.contrast(query, key, negatives)
        if not self.symmetric:
            self.enqueue(key)
            return losses
        query_2 = self.encode_query(inputs[1])
        key_2 = self.encode_key(inputs[0], update=False)
        losses_2 = self.contrast(query_2, key_2, negatives)
        self.enqueue(torch.cat([key, key_2]))
        return {name: (value + losses_2[name]) / 2 for name, value in losses.items()}
