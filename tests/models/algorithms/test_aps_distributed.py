"""APS on 2 CPU processes (gloo): ``MultiStepDistributedDataParallel`` routes the step to ``APS.multi_step_train``
(one synchronised optimiser step per token chunk, parameters identical on both ranks afterwards), a plain
``MMDistributedDataParallel`` fails with an error naming the wrapper, and the rank mean of the gathered loss equals
one process on the global batch."""

import os

import pytest
import torch
import torch.distributed as dist

from tests.helpers import spawn_ranks

pytestmark = pytest.mark.dist

WORLD = 2
CHUNKS = 3


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        from mmengine.model import MMDistributedDataParallel
        from mmengine.optim import OptimWrapper

        from mmssl_ext.models import APSLoss, MultiStepDistributedDataParallel
        from mmssl_ext.utils import register_all_modules
        from tests.models.algorithms.aps_helpers import _batch, _tiny_aps

        # a spawned process does not run tests/conftest.py: register the modules (default scope mmssl_ext) here
        register_all_modules(init_default_scope=True)

        out = {}
        # loss: local predictions against the gathered targets
        g = torch.Generator().manual_seed(5)
        pred, target = torch.randn(8, 6, generator=g, dtype=torch.float64), torch.randn(8, 6, generator=g).double()
        local = slice(rank * 4, rank * 4 + 4)
        out['loss'] = APSLoss(temperature=0.1)(pred[local], target[local]).item()

        model = _tiny_aps()  # same seed on both ranks
        ddp = MultiStepDistributedDataParallel(module=model)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=0.5)
        steps = []
        optimizer.register_step_post_hook(lambda *args: steps.append(1))
        log = ddp.train_step(_batch(batch=4, chunks=CHUNKS, n=4, seed=10 + rank), OptimWrapper(optimizer))
        out['steps'] = len(steps)
        out['log_steps'] = log['steps'].item()
        out['params'] = {k: v.detach().clone() for k, v in model.named_parameters()}
        try:
            plain = MMDistributedDataParallel(module=_tiny_aps())
            plain.train_step(_batch(batch=4, chunks=CHUNKS, n=4), OptimWrapper(torch.optim.SGD(plain.parameters())))
            out['plain_error'] = ''
        except ValueError as err:
            out['plain_error'] = str(err)
        torch.save(out, os.path.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    return spawn_ranks(_worker, tmp_path_factory.mktemp('aps_dist'), WORLD, suffix='.pth', weights_only=False)


def test_multi_step_wrapper_takes_one_step_per_chunk(results):
    assert [r['steps'] for r in results] == [CHUNKS, CHUNKS]
    assert [r['log_steps'] for r in results] == [CHUNKS, CHUNKS]


def test_parameters_stay_identical_across_ranks(results):
    p0, p1 = results[0]['params'], results[1]['params']
    assert p0.keys() == p1.keys()
    for name in p0:
        assert torch.allclose(p0[name], p1[name], atol=1e-6), name


def test_plain_ddp_wrapper_fails_with_the_fix(results):
    for r in results:
        assert 'MultiStepDistributedDataParallel' in r['plain_error']


def test_rank_mean_of_the_loss_equals_one_process_on_the_global_batch(results):
    from mmssl_ext.models import APSLoss

    g = torch.Generator().manual_seed(5)
    pred, target = torch.randn(8, 6, generator=g, dtype=torch.float64), torch.randn(8, 6, generator=g).double()
    full = APSLoss(temperature=0.1)(pred, target).item()
    assert sum(r['loss'] for r in results) / WORLD == pytest.approx(full, rel=1e-10)
