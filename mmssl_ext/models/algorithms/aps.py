# Copyright (c) mmssl_ext contributors. All rights reserved.
"""APS: contrastive learning between asymmetric token subsets of two views, one optimiser step per chunk."""

from typing import Dict, List, Optional, Sequence, Union, cast

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from .base import OwnStepMixin

__all__ = ['APS', 'token_chunks']

IDX_KEYS = ('idx_view1', 'idx_view2')


def token_chunks(data_samples: Optional[Sequence[DataSample]], key: str) -> Optional[torch.Tensor]:
    """Stack each sample's ``[K, n]`` token ids under ``key`` into ``[B, K, n]`` (None when absent everywhere).

    Args:
        data_samples (Sequence[DataSample], optional): The batch's samples.
        key (str): ``'idx_view1'`` or ``'idx_view2'`` (from :class:`APSPatchSampler`).

    Returns:
        torch.Tensor, optional: int64 ``[B, K, n]``.
    """
    if not data_samples:
        return None
    present = [key in sample for sample in data_samples]
    if not any(present):
        return None
    if not all(present):
        raise ValueError(f'`data_samples[i].{key}` is missing for some samples of the batch.')
    ids = [torch.as_tensor(sample.get(key), dtype=torch.long) for sample in data_samples]
    shapes = {tuple(i.shape) for i in ids}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f'`data_samples[i].{key}` must be [nsampling, n] and equal for all samples, got {shapes}.')
    return torch.stack(ids)


@MODELS.register_module()
class APS(OwnStepMixin, BaseSelfSupervisor):
    """Asymmetric Patch Sampling, Shen et al., "Asymmetric Patch Sampling for Contrastive Learning" (arXiv:2306.02854).

    One shared encoder (no momentum encoder: MoCo v3 with m = 0, as the official ``momentum=False``): for chunk
    ``k`` of the batch, view 1 keeps its tokens ``idx_view1[:, k]`` and view 2 its tokens ``idx_view2[:, k]``
    (:class:`APSPatchSampler`), both go through the backbone (:class:`APSViT`, cls token), the projector ``neck``
    and the :class:`APSHead` (predictor, symmetric cross-entropy against the other view's stop-gradient,
    all-gathered projection). :meth:`train_step` runs one ``optim_wrapper.update_params`` per chunk, each with
    fresh forward passes: ``nsampling`` optimiser steps per loaded batch. Under DDP use
    ``model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')``, which routes the step here.

    Without token ids in the batch (no sampler in the pipeline) every token is used and the batch takes one step:
    the all-token MoCo v3 (m = 0) baseline of the paper.

    Args:
        backbone (dict): An :class:`APSViT` config (``out_type='cls_token'``).
        neck (dict): Projector config (3-layer ``NonLinearNeck``).
        head (dict): An :class:`APSHead` config.
        pretrained (str, optional): Backbone checkpoint. Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        head: dict,
        pretrained: Optional[str] = None,
        data_preprocessor: Optional[Union[dict, nn.Module]] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        if not hasattr(self.head, 'loss') or not hasattr(self.head, 'predictor'):
            raise ValueError(f"APS needs `head=dict(type='APSHead', ...)`, got {type(self.head).__name__}.")

    def project(self, images: torch.Tensor, token_idx: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``[B, D]`` projections of a view from its ``token_idx`` tokens (all tokens when None).

        Args:
            images (torch.Tensor): ``[B, C, H, W]`` view.
            token_idx (torch.Tensor, optional): ``[B, n]`` token ids. Defaults to None.

        Returns:
            torch.Tensor: Projector outputs.
        """
        feats = self.backbone(images, token_idx)
        return self.neck(feats)[0]

    @staticmethod
    def num_chunks(data_samples: Optional[Sequence[DataSample]]) -> int:
        """Token chunks (optimiser steps) in the batch: ``nsampling``, or 0 when the batch has no token ids."""
        ids = token_chunks(data_samples, IDX_KEYS[0])
        return 0 if ids is None else int(ids.shape[1])

    def forward(
        self,
        inputs: Union[torch.Tensor, List[torch.Tensor]],
        data_samples: Optional[List[DataSample]] = None,
        mode: str = 'tensor',
        chunk: Optional[int] = None,
    ):
        """``mode='loss'`` takes the ``chunk`` index; the other modes are ``BaseSelfSupervisor``'s."""
        if mode == 'loss':
            return self.loss(inputs, data_samples, chunk=chunk)
        return super().forward(inputs, data_samples, mode=mode)

    def loss(
        self,
        inputs: Union[torch.Tensor, List[torch.Tensor]],
        data_samples: Optional[List[DataSample]],
        chunk: Optional[int] = None,
    ) -> Dict[str, torch.Tensor]:
        """Loss of one token chunk (or of all tokens when the batch has no token ids).

        Args:
            inputs (list[torch.Tensor]): The two views, ``[B, C, H, W]`` each.
            data_samples (list[DataSample]): Samples carrying ``idx_view1`` / ``idx_view2`` (``[nsampling, n]``).
            chunk (int, optional): Which chunk. Required when the batch has token ids. Defaults to None.

        Returns:
            dict: ``loss``.
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f'APS needs 2 views (MultiViewWithKeys(num_views=2)), got {type(inputs).__name__}.')
        ids = [token_chunks(data_samples, key) for key in IDX_KEYS]
        if (ids[0] is None) != (ids[1] is None):
            raise ValueError('APS needs both `idx_view1` and `idx_view2` (APSPatchSampler), or neither.')
        token_idx: List[Optional[torch.Tensor]] = [None, None]
        if ids[0] is not None:
            assert ids[1] is not None  # both or neither, checked above
            num = ids[0].shape[1]
            if chunk is None or not 0 <= chunk < num:
                raise ValueError(
                    f'the batch holds {num} token chunks: `chunk` must be in [0, {num}), got {chunk}. APS.train_step '
                    'runs one optimiser step per chunk; under DDP set '
                    "model_wrapper_cfg=dict(type='MultiStepDistributedDataParallel')."
                )
            device = inputs[0].device
            token_idx = [ids[0][:, chunk].to(device), ids[1][:, chunk].to(device)]
        z1 = self.project(inputs[0], token_idx[0])
        z2 = self.project(inputs[1], token_idx[1])
        return dict(loss=self.head.loss(z1, z2))

    def multi_step_train(
        self, model: nn.Module, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper
    ) -> Dict[str, torch.Tensor]:
        """Preprocess once, then one forward (through ``model``) and one ``update_params`` per token chunk.

        Args:
            model (nn.Module): ``self`` or the DDP wrapper around it (forwards go through it).
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimiser wrapper.

        Returns:
            dict: Log variables averaged over the chunks (detached), plus ``steps``.
        """
        with optim_wrapper.optim_context(model):
            data = cast(dict, self.data_preprocessor(data, True))
        num = self.num_chunks(data['data_samples'])
        logs: Dict[str, List[torch.Tensor]] = {}
        for chunk in range(num) if num else [None]:
            with optim_wrapper.optim_context(model):
                losses = model(data['inputs'], data['data_samples'], mode='loss', chunk=chunk)
            parsed, log_vars = self.parse_losses(losses)
            optim_wrapper.update_params(parsed)
            for key, value in log_vars.items():
                logs.setdefault(key, []).append(value.detach())
        out = {key: torch.stack(values).mean() for key, values in logs.items()}
        out['steps'] = torch.tensor(float(max(num, 1)))
        return out
