"""Every registered loss keeps its value and gradients: fixed float64 inputs against outputs recorded once.

``golden/losses.pt`` was written by the losses as they stood before the loss kernels were reorganised
(``python tests/models/losses/test_golden.py --write``); a refactor of the losses must leave every value and every
input gradient equal to it (float64, up to reordering of sums). Rewrite the file only for an intended change of a
formula, and say so in the commit.
"""

import os.path as osp
import sys
from typing import Callable, Dict, Optional, Tuple

import pytest
import torch
import torch.nn.functional as F

GOLDEN = osp.join(osp.dirname(osp.abspath(__file__)), 'golden', 'losses.pt')
B, V, D = 6, 2, 8


def unit(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(*shape, generator=g, dtype=torch.float64), dim=-1)


def labels(classes=3):
    return torch.tensor([0, 1, 2, 0, 1, 0]) % classes


def logits(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(8), dtype=torch.float64)


def _pair_mask():
    g = torch.Generator().manual_seed(12)
    return torch.rand(V * B, V * B, generator=g) > 0.7  # positives are never excluded, whatever this holds


def _mask():
    g = torch.Generator().manual_seed(11)
    return torch.rand(B, generator=g) > 0.3


# name -> (type, constructor kwargs, inputs builder, forward kwargs builder); float inputs get gradients
CASES: Dict[str, Tuple[str, dict, Callable[[], tuple], Callable[[], dict]]] = {
    'ntxent': ('NTXentLoss', dict(temperature=0.2), lambda: (unit(B, V, D),), dict),
    'ntxent_3views_chunked': ('NTXentLoss', dict(temperature=0.2, chunk_size=4), lambda: (unit(B, 3, D),), dict),
    'ntxent_sum': ('NTXentLoss', dict(temperature=0.5, reduction='sum'), lambda: (unit(B, V, D),), dict),
    'ntxent_keep': ('NTXentLoss', dict(temperature=0.2), lambda: (unit(B, V, D),), lambda: dict(keep=_mask())),
    'ntxent_exclude': (
        'NTXentLoss',
        dict(temperature=0.2),
        lambda: (unit(B, V, D),),
        lambda: dict(exclude=_pair_mask()),
    ),
    'moco_queue': ('QueueInfoNCELoss', dict(temperature=0.2), lambda: (unit(B, 2, D), unit(16, D, seed=2)), dict),
    'moco_queue_extra': (
        'QueueInfoNCELoss',
        dict(temperature=0.2),
        lambda: (unit(B, 2, D), unit(16, D, seed=2)),
        lambda: dict(extra_negatives=unit(B, 3, D, seed=7)),
    ),
    'moco_in_batch': (
        'QueueInfoNCELoss',
        dict(temperature=0.2, in_batch_negatives=True),
        lambda: (unit(B, 2, D), unit(16, D, seed=2)),
        dict,
    ),
    'dcl': ('DCLLoss', dict(temperature=0.2), lambda: (unit(B, V, D),), dict),
    'dclw': ('DCLLoss', dict(temperature=0.2, weight_fn='vmf', sigma=0.5), lambda: (unit(B, V, D),), dict),
    'supcon': ('SupConLoss', dict(), lambda: (unit(B, V, D), labels()), dict),
    'supcon_in_one': ('SupConLoss', dict(summation='in', temperature=0.1), lambda: (unit(B, V, D), labels()), dict),
    'supcon_one_positive': (
        'SupConLoss',
        dict(denominator_mode='one_positive', chunk_size=3),
        lambda: (unit(B, 3, D), labels()),
        dict,
    ),
    'supcon_unsupervised': ('SupConLoss', dict(), lambda: (unit(B, V, D),), dict),
    'supcon_contrast_one': ('SupConLoss', dict(contrast_mode='one'), lambda: (unit(B, V, D), labels()), dict),
    'eps_supinfonce': ('EpsSupInfoNCELoss', dict(epsilon=0.25), lambda: (unit(B, V, D), labels()), dict),
    'eps_supinfonce_in': (
        'EpsSupInfoNCELoss',
        dict(epsilon=0.25, form='in'),
        lambda: (unit(B, V, D), labels()),
        dict,
    ),
    'fairkl': ('FairKLLoss', dict(), lambda: (unit(B, V, D), labels(), labels(classes=2)), dict),
    'fnc_attract': ('FNCLoss', dict(topk=2, threshold=0.0), lambda: (unit(B, 3, D),), dict),
    'fnc_eliminate': ('FNCLoss', dict(topk=2, threshold=0.0, mode='eliminate'), lambda: (unit(B, 3, D),), dict),
    'unicon': ('UniConLoss', dict(), lambda: (unit(B, V, D), unit(B, V, D, seed=3), labels()), dict),
    'sce': ('SCELoss', dict(), lambda: (unit(B, 2, D), unit(16, D, seed=2)), dict),
    'sce_use_keys': ('SCELoss', dict(use_keys=True), lambda: (unit(B, 2, D), unit(16, D, seed=2)), dict),
    'ddm': ('DDMLoss', dict(), lambda: (unit(B, 1, D), unit(B, 2, D, seed=4), unit(16, D, seed=2)), dict),
    'paco': ('PaCoLoss', dict(num_classes=3), lambda: (unit(B, 2, D), labels(), logits(B, 3)), dict),
    'paco_queue': (
        'PaCoLoss',
        dict(num_classes=3),
        lambda: (unit(B, 2, D), labels(), logits(B, 3), unit(10, D, seed=2), torch.arange(10) % 3),
        dict,
    ),
    'gpaco': ('PaCoLoss', dict(num_classes=3, gpaco=True), lambda: (unit(B, 2, D), labels(), logits(B, 2, 3)), dict),
    'relic': ('ReLICLoss', dict(alpha=0.5), lambda: (unit(B, 2, D), unit(B, 2, D, seed=5)), dict),
    'renyi': ('RenyiContrastiveLoss', dict(alpha=0.1), lambda: (unit(B, 3, D), unit(B, 2, D, seed=5)), dict),
    'aps': ('APSLoss', dict(gather_distributed=False), lambda: (unit(B, D), unit(B, D, seed=9)), dict),
    'cmc': (
        'CMCLoss',
        dict(num_negatives=4),
        lambda: (unit(B, 2, D), unit(2, 10, D, seed=6), torch.arange(B)),
        dict,
    ),
}


def compute(name: str, type_override: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """The loss value and the gradient of each floating input of one case (seeded: sampling losses repeat)."""
    from mmssl_ext.registry import MODELS

    type_, kwargs, make, forward_kwargs = CASES[name]
    type_ = type_override or type_
    torch.manual_seed(0)
    loss = MODELS.build(dict(type=type_, **kwargs)).double()
    inputs = [t.clone().requires_grad_(True) if t.is_floating_point() else t for t in make()]
    value = loss(*inputs, **forward_kwargs())
    grads = torch.autograd.grad(value, [t for t in inputs if t.requires_grad], allow_unused=True)
    out = {'value': value.detach()}
    for i, grad in enumerate(grads):
        out[f'grad{i}'] = torch.zeros(0) if grad is None else grad
    return out


def test_every_registered_loss_has_a_case():
    import inspect

    import mmssl_ext.models.losses as losses
    from mmssl_ext.registry import MODELS

    registered = {
        n for n in losses.__all__ if inspect.isclass(getattr(losses, n)) and n.endswith('Loss') and MODELS.get(n)
    }
    registered.discard('InfoNCELoss')  # the deprecated alias: test_the_deprecated_infonce_alias_gives_...
    assert registered <= {case[0] for case in CASES.values()}, registered - {case[0] for case in CASES.values()}


@pytest.mark.parametrize('name', sorted(CASES))
def test_value_and_gradients_equal_the_recorded_ones(name):
    golden = torch.load(GOLDEN, weights_only=True)
    assert name in golden, f'{name} has no recorded outputs: record it with the code it must equal'
    out = compute(name)
    assert out.keys() == golden[name].keys()
    assert torch.isfinite(out['value']).all()
    for key, expected in golden[name].items():
        torch.testing.assert_close(out[key], expected, rtol=1e-9, atol=1e-12, msg=f'{name}.{key}')


@pytest.mark.parametrize(
    'name', sorted(n for n, case in CASES.items() if case[0] in ('NTXentLoss', 'QueueInfoNCELoss'))
)
def test_the_deprecated_infonce_alias_gives_the_recorded_outputs(name):
    # InfoNCELoss held both forms before they became NTXentLoss and QueueInfoNCELoss; it stays for one release
    golden = torch.load(GOLDEN, weights_only=True)
    out = compute(name, type_override='InfoNCELoss')
    for key, expected in golden[name].items():
        torch.testing.assert_close(out[key], expected, rtol=1e-9, atol=1e-12, msg=f'{name}.{key}')


if __name__ == '__main__' and '--write' in sys.argv:
    # run as a script: the repository root (tests/models/losses/ -> three levels up) is not on the path yet
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..')))
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    torch.save({name: compute(name) for name in sorted(CASES)}, GOLDEN)
    print(f'wrote {len(CASES)} cases to {GOLDEN}')
