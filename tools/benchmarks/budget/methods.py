# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The methods of the budget benchmark: name -> the method's CIFAR-10 recipe config and its seed count."""

from dataclasses import dataclass
from typing import Dict

__all__ = ['BudgetMethod', 'METHODS', 'RANDOM']

#: Name of the random-initialisation rows (one per backbone family).
RANDOM = 'random'


@dataclass(frozen=True)
class BudgetMethod:
    """One benchmark row.

    Args:
        config (str): Config path, relative to the repository root.
        seeds (int): Seeds run by default. Defaults to 2.
        family (str): Backbone family (``'resnet'`` or ``'vit'``): which random row it is compared with.
            Defaults to ``'resnet'``.
    """

    config: str
    seeds: int = 2
    family: str = 'resnet'


METHODS: Dict[str, BudgetMethod] = {
    'simclr': BudgetMethod('configs/simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py', seeds=3),
    'mocov2': BudgetMethod('configs/mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py', seeds=3),
    'supcon': BudgetMethod('configs/supcon/supcon_resnet18_1xb1024-coslr-1000e_cifar10.py', seeds=3),
    'ce': BudgetMethod('configs/supcon/ce_resnet18_1xb1024-coslr-500e_cifar10.py', seeds=3),
    'byol': BudgetMethod('configs/byol/byol_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'simsiam': BudgetMethod('configs/simsiam/simsiam_resnet18_1xb256-coslr-1000e_cifar10.py'),
    'clsa-single': BudgetMethod('configs/clsa/clsa_resnet18_1xb256-single-coslr-1000e_cifar10.py'),
    'clsa-multi': BudgetMethod('configs/clsa/clsa_resnet18_1xb256-multi-coslr-1000e_cifar10.py'),
    'mochi': BudgetMethod('configs/mochi/mochi_resnet18_1xb256-coslr-1000e_cifar10.py'),
    'feataug-mocov2': BudgetMethod('configs/feataug/feataug-mocov2_resnet18_1xb256-coslr-1000e_cifar10.py'),
    'feataug-byol': BudgetMethod('configs/feataug/feataug-byol_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'feataug-simsiam': BudgetMethod('configs/feataug/feataug-simsiam_resnet18_1xb256-coslr-1000e_cifar10.py'),
    'curated-simclr': BudgetMethod('configs/curated_simclr/curated-simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'dcl': BudgetMethod('configs/dcl/dcl_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'dclw': BudgetMethod('configs/dcl/dclw_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'mocov3': BudgetMethod('configs/mocov3/mocov3_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'fnc': BudgetMethod('configs/fnc/fnc_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'sce': BudgetMethod('configs/sce/sce_resnet18_1xb256-coslr-1000e_cifar10.py'),
    'aps': BudgetMethod('configs/aps/aps_vit-tiny-p2_1xb512-amp-coslr-1600e_cifar10.py', family='vit'),
}
