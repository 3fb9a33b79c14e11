"""HostSyncCounter counts the host-device sync points (``.item()``, masks, ``unique``), not arithmetic."""

import torch

from mmssl_ext.testing import HostSyncCounter


def test_counter_sees_item_masks_and_unique_but_not_arithmetic():
    x = torch.arange(6.0)
    with HostSyncCounter(scopes=('test_sync_counter',)) as counter:
        y = (x * 2 + 1).exp()
        x.max().item()
        bool(x.sum() > 0)
        x[x > 2]
        torch.unique(x)
    assert y.shape == (6,)
    names = sorted(name for name, _ in counter.calls.elements())
    assert names == ['_local_scalar_dense', '_local_scalar_dense', '_unique2', 'index']
    assert all(
        where.startswith('tests/testing/test_sync_counter.py') or 'test_sync_counter' in where
        for _, where in counter.calls
    )
