# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched RandAugment of CLSA's strong views."""

from typing import Callable, Dict, Optional, Sequence

import torch

from mmssl_ext.registry import BATCH_AUGMENTS
from mmssl_ext.utils.clsa_ops import SIGNED_OPS, check_randaugment_args, op_parameter

from .base import BaseBatchAugment, apply_to_subset
from .functional import color as fc
from .functional import geometry as fg
from .functional import tone as ft

__all__ = ['BatchCLSARandAugment', 'BATCH_CLSA_OPS']

BATCH_CLSA_OPS: Dict[str, Optional[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]] = {
    'AutoContrast': lambda img, _: ft.autocontrast(img),
    'Brightness': lambda img, f: fc.adjust_brightness(img, f.float()),
    'Color': lambda img, f: fc.adjust_saturation(img, f.float()),
    'Contrast': lambda img, f: fc.adjust_contrast(img, f.float()),
    'Equalize': lambda img, _: ft.equalize(img),
    'Identity': None,
    'Posterize': lambda img, bits: ft.posterize(img, bits.long()),
    'Rotate': lambda img, deg: fg.rotate(img, deg.float()),
    'Sharpness': lambda img, f: fc.adjust_sharpness(img, f.float()),
    'ShearX': lambda img, s: fg.shear_x(img, s.float()),
    'ShearY': lambda img, s: fg.shear_y(img, s.float()),
    'Solarize': lambda img, f: ft.solarize(img, f.float()),
    # the official op truncates ``frac * size`` towards zero (``int()``), the sign already applied
    'TranslateX': lambda img, frac: fg.translate_x(img, torch.trunc(frac * img.shape[3]).float()),
    'TranslateY': lambda img, frac: fg.translate_y(img, torch.trunc(frac * img.shape[2]).float()),
}
"""The batched counterpart of each op of
:data:`~mmssl_ext.datasets.transforms.clsa_randaugment.CLSA_OPS`, as ``fn(img, param)`` with a per-sample
signed parameter tensor (float64, the values of :func:`op_parameter`); None for Identity."""


@BATCH_AUGMENTS.register_module()
class BatchCLSARandAugment(BaseBatchAugment):
    """The batched :class:`~mmssl_ext.datasets.transforms.CLSARandAugment` of CLSA, Wang & Qi, arXiv:2104.07713.

    Same draws per sample as the per-image transform: ``num_ops`` picks with replacement from ``ops``, for
    each pick a magnitude ``v`` ~ U{1..magnitude_max - 1}, an apply coin of probability ``prob`` and, for
    Rotate / Shear / Translate, a sign coin of 0.5; the applied ops run in pick order with the parameters of
    :func:`op_parameter` through the batched ops, which equal the per-image PIL ops (see their tests).

    Args:
        num_ops (int): Ops drawn per image (``n``). Defaults to 5.
        magnitude_max (int): Exclusive upper bound ``m`` of the magnitude draw, 2..10. Defaults to 10.
        prob (float): Probability of applying each drawn op. Defaults to 0.5.
        ops (Sequence[str], optional): The pool, a subset of the 14 op names; None uses all. Defaults to None.
    """

    def __init__(
        self, num_ops: int = 5, magnitude_max: int = 10, prob: float = 0.5, ops: Optional[Sequence[str]] = None
    ) -> None:
        self.num_ops, self.magnitude_max, prob, self.ops = check_randaugment_args(
            num_ops, magnitude_max, prob, ops, owner='BatchCLSARandAugment'
        )
        super().__init__(prob)
        # parameter of op j at magnitude v: table[j, v] (v = 0 is never drawn)
        self._table = torch.tensor(
            [[float(op_parameter(name, v) or 0) if v else 0.0 for v in range(10)] for name in self.ops],
            dtype=torch.float64,
        )
        self._signed = torch.tensor([name in SIGNED_OPS for name in self.ops])

    def _to(self, device: torch.device) -> None:
        # the parameter tables move to the batch's device once, not by a host-to-device copy per step
        if self._table.device != device:
            self._table, self._signed = self._table.to(device), self._signed.to(device)

    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw per sample and pick: ``'picks'`` (op ids), ``'magnitudes'``, ``'applied'`` and ``'negate'``.

        All are (B, num_ops); ``'apply'`` is whether any op of a sample is applied.
        """
        b, n, device = img.shape[0], self.num_ops, img.device
        picks = torch.randint(len(self.ops), (b, n), device=device)
        applied = torch.rand(b, n, device=device) < self.prob
        self._to(device)
        negate = (torch.rand(b, n, device=device) < 0.5) & self._signed[picks]
        return {
            'apply': applied.any(dim=1),
            'picks': picks,
            'magnitudes': torch.randint(1, self.magnitude_max, (b, n), device=device),
            'applied': applied,
            'negate': negate,
        }

    def parameters(self, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """The signed op parameters, (B, num_ops) float64, of drawn ``params``."""
        self._to(params['picks'].device)
        value = self._table[params['picks'], params['magnitudes']]
        return torch.where(params['negate'], -value, value)

    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Run the applied picks of every sample, in pick order."""
        if img.shape[1] != 3:
            raise ValueError(f'BatchCLSARandAugment: img must have 3 channels (RGB), got {img.shape[1]}')
        values = self.parameters(params)
        out = img.clone()
        for k in range(params['picks'].shape[1]):
            for op_id, name in enumerate(self.ops):
                fn = BATCH_CLSA_OPS[name]
                if fn is None:
                    continue
                mask = params['applied'][:, k] & (params['picks'][:, k] == op_id)
                out = apply_to_subset(out, mask, fn, values[:, k], inplace=True)
        return out

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(num_ops={self.num_ops}, magnitude_max={self.magnitude_max}, '
            f'prob={self.prob}, ops={list(self.ops)})'
        )
