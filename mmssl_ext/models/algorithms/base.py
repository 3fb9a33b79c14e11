# Copyright (c) mmssl_ext contributors. All rights reserved.
"""What every contrastive algorithm of the package shares: its objective comes from ``loss``, its input is views.

Where a method's objective lives, decided once for the package:

* **``loss``** (a module of :mod:`mmssl_ext.models.losses`) for every objective that is parameter-free tensor
  math on embeddings: NT-Xent, MoCo's queue form, DCL, SupCon, and the wrappers around them
  (:class:`~mmssl_ext.models.feature_augs.FeatAugLoss`). These losses take inputs that mmpretrain's
  ``head.loss(pred, target)`` cannot carry (a queue, extra negatives, labels, kept samples), so an algorithm
  calls them directly and a ``head`` is refused with a message pointing to ``loss``.
* **``head``** (mmpretrain's contract: trainable predictor + its loss) where the objective owns trainable layers
  of its own: BYOL and SimSiam (mmpretrain's classes, untouched, with
  :class:`~mmssl_ext.models.heads.FeatAugHead` for feature augmentation) and APS (:class:`APSHead`).
"""

from typing import Dict, List, Optional, Sequence, Union, cast

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmssl_ext.registry import MODELS

__all__ = ['ContrastiveObjectiveMixin', 'OwnStepMixin']


class ContrastiveObjectiveMixin:
    """Builds an algorithm's ``loss`` (refusing a ``head``) and checks the views it receives.

    Mixed into an mmpretrain ``BaseSelfSupervisor`` subclass, before it in the bases.
    """

    def build_objective(self, head: Optional[dict], loss: Optional[Union[dict, nn.Module]], default: dict) -> nn.Module:
        """The loss module of the algorithm; raises a ``ValueError`` for an mmpretrain-style ``head``.

        Args:
            head (dict, optional): The ``head`` argument of the algorithm; must be None.
            loss (dict | nn.Module, optional): Loss config or built module; None takes ``default``.
            default (dict): The method's default loss config.

        Returns:
            nn.Module: The built loss.
        """
        if head is not None:
            raise ValueError(
                f'{type(self).__name__} takes its loss from `loss` (e.g. {default!r}), not from `head`; got '
                f'head={head!r}. Move the temperature to `loss` and set head=None.'
            )
        loss = loss if loss is not None else dict(default)
        return loss if isinstance(loss, nn.Module) else MODELS.build(loss)

    def check_views(
        self, inputs: Sequence[torch.Tensor], expected: int, same_shape: bool = False
    ) -> List[torch.Tensor]:
        """Raise a ``ValueError`` unless ``inputs`` holds ``expected`` view batches (of one shape if asked).

        Args:
            inputs (Sequence[torch.Tensor]): The view batches the data preprocessor produced.
            expected (int): Views per sample the method needs.
            same_shape (bool): Require one shape for all views (one backbone pass). Defaults to False.

        Returns:
            list[torch.Tensor]: The views.
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != expected:
            got = len(inputs) if isinstance(inputs, (list, tuple)) else type(inputs).__name__
            raise ValueError(
                f'{type(self).__name__} expects {expected} views per sample '
                f'(MultiView(num_views={expected}) in the train pipeline), got {got}.'
            )
        if same_shape:
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError(
                    f'{type(self).__name__} needs views of one shape (one backbone pass), got {sorted(shapes)}.'
                )
        return list(inputs)


class OwnStepMixin:
    """For an algorithm that owns its training step: ``train_step`` runs ``multi_step_train(self, ...)``.

    The algorithm defines ``multi_step_train(model, data, optim_wrapper)``, whose forwards go through ``model``:
    ``self`` in one process, the :class:`MultiStepDistributedDataParallel` wrapper under DDP (which calls the same
    method with itself, so that DDP synchronises the gradients of every update). APS takes one update per token
    chunk, :class:`CuratedSimCLR` hands a gated batch to its optimizer wrapper as rejected.
    """

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One process: :meth:`multi_step_train` with this model as the one the forwards go through.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimiser wrapper.

        Returns:
            dict[str, torch.Tensor]: Log variables.
        """
        return self.multi_step_train(cast(nn.Module, self), data, optim_wrapper)  # mixed into an nn.Module

    def multi_step_train(
        self, model: nn.Module, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper
    ) -> Dict[str, torch.Tensor]:
        """The algorithm's step, its forwards through ``model`` (``self`` or the DDP wrapper around it).

        Args:
            model (nn.Module): The module the forwards go through.
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimiser wrapper.

        Returns:
            dict[str, torch.Tensor]: Log variables.
        """
        raise NotImplementedError(f'{type(self).__name__} must define multi_step_train to own its step.')
