"""The gather helpers: the identity in one process; ranks holding batches of different sizes get an error naming
the sizes, not a hang or a wrong gather."""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from mmssl_ext.models.losses import NTXentLoss
from mmssl_ext.models.utils import all_gather_no_grad, all_gather_with_grad
from tests.helpers import spawn_ranks


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    batch = 3 if rank == 0 else 2  # e.g. the last batch of an epoch with drop_last=False
    feats = F.normalize(torch.randn(batch, 2, 8), dim=-1)
    errors = {}
    for name, call in {
        'loss': lambda: NTXentLoss(0.1, gather_distributed=True)(feats),
        'enqueue_gather': lambda: all_gather_no_grad(feats[:, 0]),
    }.items():
        try:
            call()
            errors[name] = None
        except ValueError as err:
            errors[name] = str(err)
    torch.save(errors, os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.mark.dist  # 2 processes
def test_mismatched_batch_sizes_across_ranks_are_named(tmp_path):
    for errors in spawn_ranks(_worker, tmp_path):
        for name, message in errors.items():
            assert message is not None, f'{name}: no error for batches of 3 and 2'
            assert 'same batch size on every rank, got [3, 2]' in message and 'drop_last=True' in message


def test_gather_helpers_are_identity_in_one_process():
    x = torch.randn(3, 2, requires_grad=True)
    assert all_gather_with_grad(x) is x
    assert all_gather_no_grad(x) is x
