"""Every registered loss turns a NaN input into a NaN loss: a diverged network never reads as a loss of 0.

Only rows that by definition have no positive (or an empty denominator) count zero; those stay tested in the
losses' own files. Here one feature of one sample is NaN and the loss must be NaN (or the loss refuses the input
with an error): before, the kernels replaced every non-finite row by 0.
"""

import inspect
from typing import Callable, Dict, Tuple

import pytest
import torch
import torch.nn.functional as F

import mmssl_ext.models.losses as losses
from mmssl_ext.registry import MODELS

B, V, D = 6, 2, 8


def unit(*shape, seed=0):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


def labels(seed=1, classes=3):
    return torch.arange(B) % classes


# name -> (constructor kwargs, inputs builder); the first tensor argument is the one that gets a NaN
CASES: Dict[str, Tuple[dict, Callable[[], tuple]]] = {
    'NTXentLoss': ({}, lambda: (unit(B, V, D),)),
    'QueueInfoNCELoss': ({}, lambda: (unit(B, 2, D), unit(16, D, seed=2))),
    'InfoNCELoss': ({}, lambda: (unit(B, V, D),)),
    'InfoNCELoss(queue)': ({}, lambda: (unit(B, 2, D), unit(16, D, seed=2))),
    'DCLLoss': ({}, lambda: (unit(B, V, D),)),
    'SupConLoss': ({}, lambda: (unit(B, V, D), labels())),
    'EpsSupInfoNCELoss': ({}, lambda: (unit(B, V, D), labels())),
    'FairKLLoss': ({}, lambda: (unit(B, V, D), labels(), labels(classes=2))),
    'FNCLoss': (dict(topk=2), lambda: (unit(B, 3, D),)),
    'UniConLoss': ({}, lambda: (unit(B, V, D), unit(B, V, D, seed=3), labels())),
    'SCELoss': ({}, lambda: (unit(B, 2, D), unit(16, D, seed=2))),
    'DDMLoss': ({}, lambda: (unit(B, 1, D), unit(B, 1, D, seed=4), unit(16, D, seed=2))),
    'PaCoLoss': (dict(num_classes=3), lambda: (unit(B, 2, D), labels(), torch.randn(B, 3))),
    'ReLICLoss': ({}, lambda: (unit(B, 2, D), unit(B, 2, D, seed=5))),
    'RenyiContrastiveLoss': ({}, lambda: (unit(B, 2, D), unit(B, 2, D, seed=5))),
    'APSLoss': (dict(gather_distributed=False), lambda: (torch.randn(B, D), torch.randn(B, D))),
    'CMCLoss': (dict(num_negatives=4), lambda: (unit(B, 2, D), unit(2, 10, D, seed=6), torch.arange(B))),
}


def _registered_losses():
    names = []
    for name in losses.__all__:
        obj = getattr(losses, name)
        if inspect.isclass(obj) and name.endswith('Loss') and MODELS.get(name) is obj:
            names.append(name)
    return names


def test_every_registered_loss_has_a_case():
    covered = {case.split('(')[0] for case in CASES}
    assert set(_registered_losses()) <= covered, set(_registered_losses()) - covered


@pytest.mark.parametrize('case', sorted(CASES))
def test_nan_input_gives_nan_loss(case):
    kwargs, make = CASES[case]
    loss = MODELS.build(dict(type=case.split('(')[0], **kwargs))
    clean = loss(*make())
    assert torch.isfinite(clean).all(), 'the case must be valid without the NaN'
    args = list(make())
    poisoned = args[0].clone()
    poisoned.view(-1)[3] = float('nan')
    args[0] = poisoned
    try:
        value = loss(*args)
    except ValueError as err:  # refusing the input, naming it, is as loud as a NaN
        assert 'finite' in str(err) or 'nan' in str(err).lower() or 'norm' in str(err), err
        return
    assert torch.isnan(value).any(), f'{case}: a NaN input gave {value}'
