# Copyright (c) mmssl_ext contributors. All rights reserved.
"""SupCon stage 1: supervised contrastive pre-training with two views per image."""

from typing import Dict, List, Optional, Union

import torch
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS

from ..losses import SupConLoss
from .contrastive_simclr import ContrastiveSimCLR

__all__ = ['SupCon', 'labels_from_samples']


def labels_from_samples(data_samples: Optional[List[DataSample]], batch: int, device: torch.device) -> torch.Tensor:
    """``[B]`` class labels of a batch, with a ``ValueError`` naming the missing field.

    Args:
        data_samples (list[DataSample], optional): The batch's samples (``gt_label`` set by ``PackInputs``).
        batch (int): Expected number of samples.
        device (torch.device): Device of the result.

    Returns:
        torch.Tensor: Long labels.
    """
    if data_samples is None or len(data_samples) != batch:
        got = 'None' if data_samples is None else f'{len(data_samples)} samples'
        raise ValueError(
            f'SupCon needs one data sample with `gt_label` per image ({batch}), got {got}; use a labelled dataset '
            'and PackInputs in the train pipeline.'
        )
    labels = []
    for index, sample in enumerate(data_samples):
        label = sample.get('gt_label') if hasattr(sample, 'get') else None
        if label is None or (isinstance(label, torch.Tensor) and label.numel() != 1):
            raise ValueError(
                f'SupCon needs a single class label in `data_samples[{index}].gt_label`, got {label!r}; the '
                'dataset must provide `gt_label` (a labelled dataset, not an unlabelled image folder).'
            )
        # shapes only: the values stay on their device (int() of a GPU label is a sync per sample)
        labels.append(label.reshape(1) if isinstance(label, torch.Tensor) else torch.tensor([int(label)]))
    return torch.cat([label.to(device=device, dtype=torch.long) for label in labels])


@MODELS.register_module()
class SupCon(ContrastiveSimCLR):
    """Supervised Contrastive Learning (SupCon), Khosla et al., arXiv:2004.11362 (NeurIPS 2020), stage 1.

    Two views of each labelled image go through backbone and projector in one pass (SupContrast
    concatenates the views the same way); :class:`SupConLoss` treats every other view of the same class
    as a positive. Stage 2 (linear evaluation) is an mmpretrain ``ImageClassifier`` with the backbone
    frozen in eval mode (``configs/benchmarks/classification/cifar*/``).

    The official ``main_supcon.py`` sets only the temperature, so ``base_temperature`` stays 0.07 and the
    loss is scaled by ``temperature / 0.07`` (1.43 at ``temperature=0.1``): the default loss keeps that
    behaviour; set ``base_temperature=temperature`` for the unscaled loss.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projection head config (SupContrast: ``MoCoV2Neck``, Linear-ReLU-Linear, no BN).
            Defaults to None.
        loss (dict): A :class:`SupConLoss` config. Defaults to ``dict(type='SupConLoss', temperature=0.1,
            base_temperature=0.07, gather_distributed=True, require_labels=True)``.
        **kwargs: :class:`ContrastiveSimCLR` arguments.
    """

    default_loss: dict = dict(
        type='SupConLoss', temperature=0.1, base_temperature=0.07, gather_distributed=True, require_labels=True
    )

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict] = None,
        loss: Optional[Union[dict, SupConLoss]] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, neck=neck, loss=loss, init_cfg=init_cfg, **kwargs)
        if not isinstance(self.loss_module, SupConLoss):
            raise ValueError(
                f"SupCon needs `loss=dict(type='SupConLoss', ...)`, got {type(self.loss_module).__name__}."
            )

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """SupCon loss of the two views with the batch's labels.

        Args:
            inputs (list[torch.Tensor]): The view batches.
            data_samples (list[DataSample]): Samples carrying ``gt_label``.
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss``.
        """
        self.check_views(inputs, self.num_views, same_shape=True)
        labels = labels_from_samples(data_samples, inputs[0].shape[0], inputs[0].device)
        return dict(loss=self.loss_module(self.embed(inputs), labels=labels))
