"""cmc_momentum_update: the momentum update and re-normalisation of CMC's memory banks."""

import torch

from mmssl_ext.models.utils import cmc_momentum_update
from tests.models.losses.loss_helpers import F64, close, cmc_inputs


def test_cmc_momentum_update():
    f, banks, indices, _ = cmc_inputs(batch=4, views=2, size=10, seed=17)
    old = banks.clone()
    cmc_momentum_update(banks, f, indices, 0.5)
    for v in range(2):
        for m in range(10):
            if m in indices.tolist():
                i = indices.tolist().index(m)
                mixed = 0.5 * old[v, m] + 0.5 * f[i, v]
                close(banks[v, m], mixed / mixed.norm())
            else:
                assert torch.equal(banks[v, m], old[v, m])
    close(banks.norm(dim=-1), torch.ones(2, 10, dtype=F64))
