"""CPUSyncBatchNorm: on 2 gloo processes it equals one BatchNorm on the concatenated batch (output, gradients of the
input, weight and bias, running statistics); outside a process group it is torch's layer; conversion shares the
original parameters."""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn

from mmssl_ext.models.utils import CPUSyncBatchNorm, convert_cpu_sync_batchnorm
from tests.helpers import spawn_ranks

pytestmark = pytest.mark.dist

WORLD = 2
SHAPES = {'2d': (6, 4, 5, 3), '1d': (5, 4)}  # per-rank batches: conv maps and neck vectors


def _batch(kind, dtype=torch.float64):
    g = torch.Generator().manual_seed(7)
    shape = SHAPES[kind]
    x = torch.randn(WORLD * shape[0], *shape[1:], generator=g, dtype=dtype) * 3 + 1.5
    upstream = torch.randn(x.shape, generator=g, dtype=dtype)  # d loss / d output
    return x, upstream


def _layer(cls, kind, momentum=0.1, dtype=torch.float64):
    torch.manual_seed(0)
    layer = (
        cls(4, momentum=momentum) if cls is not nn.BatchNorm2d or kind == '2d' else nn.BatchNorm1d(4, momentum=momentum)
    )
    with torch.no_grad():
        layer.weight.uniform_(0.5, 1.5)
        layer.bias.uniform_(-0.5, 0.5)
    return layer.to(dtype).train()


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    result = {}
    for kind in SHAPES:
        for momentum in (0.1, None):
            x, upstream = _batch(kind)
            per = x.shape[0] // WORLD
            local = slice(rank * per, (rank + 1) * per)
            x_local = x[local].clone().requires_grad_()
            layer = _layer(CPUSyncBatchNorm, kind, momentum)
            out = None
            for _ in range(2):  # two steps: the running averages compound
                out = layer(x_local)
            (out * upstream[local]).sum().backward()
            result[(kind, momentum)] = dict(
                out=out.detach(),
                grad_x=x_local.grad.clone(),
                grad_w=layer.weight.grad.clone(),
                grad_b=layer.bias.grad.clone(),
                running_mean=layer.running_mean.clone(),
                running_var=layer.running_var.clone(),
                tracked=int(layer.num_batches_tracked),
            )
    torch.save(result, os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    return spawn_ranks(_worker, tmp_path_factory.mktemp('cpu_sync_bn'), WORLD)


def _reference(kind, momentum):
    x, upstream = _batch(kind)
    x = x.clone().requires_grad_()
    layer = nn.BatchNorm2d(4, momentum=momentum) if kind == '2d' else nn.BatchNorm1d(4, momentum=momentum)
    ref = _layer(type(layer), kind, momentum)
    out = None
    for _ in range(2):
        out = ref(x)
    (out * upstream).sum().backward()
    return ref, x, out


@pytest.mark.parametrize('momentum', [0.1, None])
@pytest.mark.parametrize('kind', list(SHAPES))
def test_two_ranks_equal_one_batchnorm_on_the_concatenated_batch(results, kind, momentum):
    ref, x, out = _reference(kind, momentum)
    per = x.shape[0] // WORLD
    for rank, res in enumerate(results):
        got = res[(kind, momentum)]
        local = slice(rank * per, (rank + 1) * per)
        torch.testing.assert_close(got['out'], out.detach()[local], rtol=1e-10, atol=1e-10)
        # the input gradient includes the other rank's loss through the shared statistics
        torch.testing.assert_close(got['grad_x'], x.grad[local], rtol=1e-9, atol=1e-10)
        torch.testing.assert_close(got['running_mean'], ref.running_mean, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(got['running_var'], ref.running_var, rtol=1e-10, atol=1e-12)
        assert got['tracked'] == 2
    # weight / bias gradients are local (DDP averages them): their rank sum is the one-process gradient
    for name, param in (('grad_w', ref.weight), ('grad_b', ref.bias)):
        total = results[0][(kind, momentum)][name] + results[1][(kind, momentum)][name]
        torch.testing.assert_close(total, param.grad, rtol=1e-9, atol=1e-10)
        assert not torch.allclose(results[0][(kind, momentum)][name], param.grad)


def test_without_a_process_group_it_is_batchnorm():
    x, _ = _batch('2d', torch.float32)
    ours, ref = _layer(CPUSyncBatchNorm, '2d', dtype=torch.float32), _layer(nn.BatchNorm2d, '2d', dtype=torch.float32)
    torch.testing.assert_close(ours(x), ref(x))
    torch.testing.assert_close(ours.running_var, ref.running_var)
    ours.eval(), ref.eval()
    torch.testing.assert_close(ours(x), ref(x))


def test_conversion_shares_parameters_and_buffers():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4), nn.Sequential(nn.SyncBatchNorm(4)))
    bn, sync = model[1], model[2][0]
    only_sync = convert_cpu_sync_batchnorm(model)
    assert type(only_sync[1]) is nn.BatchNorm2d  # plain BN is left alone unless asked
    assert type(only_sync[2][0]) is CPUSyncBatchNorm
    assert only_sync[2][0].weight is sync.weight and only_sync[2][0].running_mean is sync.running_mean
    everything = convert_cpu_sync_batchnorm(model, convert_batchnorm=True)
    assert type(everything[1]) is CPUSyncBatchNorm and everything[1].weight is bn.weight
    assert not isinstance(everything[1], nn.SyncBatchNorm)  # DDP refuses torch's SyncBatchNorm on CPU modules
    assert set(everything.state_dict()) == {
        '0.weight',
        '0.bias',
        *(
            f'{i}.{k}'
            for i in ('1', '2.0')
            for k in ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
        ),
    }
