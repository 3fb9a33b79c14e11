"""APS: token chunks, one optimiser step per chunk on that chunk, chunk losses, errors, the optim context."""

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmssl_ext.models import token_chunks
from mmssl_ext.registry import MODELS
from tests.models.algorithms.aps_helpers import TINY_VIT, _batch, _mlp, _tiny_aps


def test_token_chunks_stacks_and_checks():
    data = _batch(batch=3, chunks=2, n=4)
    ids = token_chunks(data['data_samples'], 'idx_view1')
    assert ids.shape == (3, 2, 4) and ids.dtype == torch.long
    assert token_chunks([DataSample()], 'idx_view1') is None
    data['data_samples'][1] = DataSample()
    with pytest.raises(ValueError, match='idx_view1'):
        token_chunks(data['data_samples'], 'idx_view1')


def test_train_step_takes_one_optimizer_step_per_chunk_on_that_chunk():
    model = _tiny_aps()
    model.train()
    data = _batch(batch=4, chunks=3, n=4)
    seen = []
    original = model.backbone.forward

    def record(x, token_idx=None):
        seen.append(token_idx.clone())
        return original(x, token_idx)

    model.backbone.forward = record
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    optimizer.register_step_post_hook(lambda *args: steps.append(1))
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    wrapper = OptimWrapper(optimizer)
    log = model.train_step(data, wrapper)
    assert len(steps) == 3
    assert log['steps'].item() == 3 and torch.isfinite(log['loss'])
    ids1 = token_chunks(data['data_samples'], 'idx_view1')
    ids2 = token_chunks(data['data_samples'], 'idx_view2')
    assert len(seen) == 6
    for k in range(3):
        assert torch.equal(seen[2 * k], ids1[:, k]) and torch.equal(seen[2 * k + 1], ids2[:, k])
    assert any(not torch.equal(before[k], v) for k, v in model.named_parameters())


def test_chunk_losses_differ_and_train_step_averages_them():
    model = _tiny_aps()
    model.eval()  # BN in eval: deterministic forwards, no running-stat drift between calls
    data = model.data_preprocessor(_batch(batch=4, chunks=2, n=4), False)
    losses = [model.loss(data['inputs'], data['data_samples'], chunk=k)['loss'] for k in range(2)]
    assert not torch.isclose(losses[0], losses[1])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    log = model.train_step(_batch(batch=4, chunks=2, n=4), OptimWrapper(optimizer))
    assert log['loss'].item() == pytest.approx((losses[0] + losses[1]).item() / 2, rel=1e-5)


def test_a_chunk_of_every_token_equals_the_all_token_forward():
    model = _tiny_aps()
    model.eval()
    data = model.data_preprocessor(_batch(batch=4, chunks=1, n=16), False)
    full = model.loss(data['inputs'], [DataSample() for _ in range(4)])['loss']
    chunk = model.loss(data['inputs'], data['data_samples'], chunk=0)['loss']
    assert torch.allclose(full, chunk, atol=1e-5)


def test_batch_without_token_ids_takes_one_step():
    model = _tiny_aps()
    data = _batch(batch=4)
    data['data_samples'] = [DataSample() for _ in range(4)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    optimizer.register_step_post_hook(lambda *args: steps.append(1))
    log = model.train_step(data, OptimWrapper(optimizer))
    assert len(steps) == 1 and log['steps'].item() == 1


def test_errors_name_the_fix():
    model = _tiny_aps()
    data = model.data_preprocessor(_batch(batch=4, chunks=2, n=4), False)
    with pytest.raises(ValueError, match='MultiStepDistributedDataParallel'):
        model(data['inputs'], data['data_samples'], mode='loss')
    with pytest.raises(ValueError, match='chunk'):
        model.loss(data['inputs'], data['data_samples'], chunk=2)
    with pytest.raises(ValueError, match='2 views'):
        model.loss(data['inputs'][:1], data['data_samples'], chunk=0)
    for sample in data['data_samples']:
        del sample.idx_view2
    with pytest.raises(ValueError, match='idx_view2'):
        model.loss(data['inputs'], data['data_samples'], chunk=0)
    with pytest.raises(ValueError, match='APSHead'):
        MODELS.build(dict(type='APS', backbone=TINY_VIT, neck=_mlp(32), head=_mlp(16)))


def test_every_chunk_forward_runs_inside_the_optim_context():
    """AMP (``AmpOptimWrapper``) autocasts inside ``optim_context``: every chunk's forward must be in one."""
    import contextlib

    class RecordingWrapper(OptimWrapper):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.depth, self.forwards_inside = 0, []

        @contextlib.contextmanager
        def optim_context(self, model):
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1

    model = _tiny_aps()
    wrapper = RecordingWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    original = model.loss

    def loss(*args, **kwargs):
        wrapper.forwards_inside.append(wrapper.depth > 0)
        return original(*args, **kwargs)

    model.loss = loss
    model.train_step(_batch(batch=4, chunks=4, n=4), wrapper)
    assert wrapper.forwards_inside == [True] * 4
