"""FNC: the in-batch form is FNCLoss on the embeddings, the bank form (EMA features, FIFO), its checkpoint, errors."""

import copy

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.losses.fnc_memory import fnc_memory_loss
from mmssl_ext.registry import MODELS
from tests.models.algorithms.moco_helpers import BACKBONE, images

D, V, B = 16, 3, 4
NECK = dict(
    type='NonLinearNeck', in_channels=8, hid_channels=16, out_channels=D, num_layers=3, norm_cfg=dict(type='BN1d')
)
LOSS = dict(type='FNCLoss', temperature=0.1, topk=4, threshold=0.5)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def fnc(seed=0, **kwargs):
    torch.manual_seed(seed)
    cfg = dict(type='FNC', backbone=BACKBONE, neck=NECK, feat_dim=D, num_views=V, memory_multiplier=4, loss=LOSS)
    return MODELS.build({**cfg, **kwargs}).train()


def views(seed=0):
    return images(*([16] * V), seed=seed)


def test_without_memory_it_is_fncloss_on_the_embeddings():
    model = fnc(memory_multiplier=0)
    assert not hasattr(model, 'encoder_ema') and 'memory' not in model.state_dict()
    inputs = views()
    probe = copy.deepcopy(model)
    expected = probe.loss_module(probe.embed(inputs))
    torch.testing.assert_close(model.loss(inputs, None)['loss'], expected, rtol=1e-6, atol=1e-7)


def test_memory_step_equals_the_bank_formula_on_the_ema_features():
    model = fnc()
    inputs = views()
    probe = copy.deepcopy(model)
    with torch.no_grad():
        anchors = probe.embed(inputs)
        probe.encoder_ema.update_parameters(torch.nn.Sequential(probe.backbone, probe.neck))
        ema = F.normalize(probe.encoder_ema(torch.cat(inputs))[0], dim=1).view(V, B, D)
    bank = torch.cat([ema.reshape(V * B, D), torch.zeros((4 - V) * B, D)])  # view-major front, zeros behind
    own = torch.stack([v * B + torch.arange(B) for v in range(V)], dim=1)
    expected = fnc_memory_loss(anchors, ema.transpose(0, 1), bank, own, 0.1, topk=4, threshold=0.5)
    loss = model.loss(inputs, None)['loss']
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(model.memory, bank, rtol=0, atol=1e-6)
    loss.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.encoder_ema.parameters())  # the bank encoder is never back-propagated


def test_bank_is_a_fifo_of_global_batches():
    model = fnc(memory_multiplier=8)
    model.loss(views(0), None)
    first = model.memory[: V * B].clone()
    assert model.memory.shape == (8 * B, D) and not model.memory[V * B :].any()  # unwritten columns are zeros
    model.loss(views(1), None)
    torch.testing.assert_close(model.memory[V * B : 2 * V * B], first, rtol=0, atol=0)  # pushed back one batch
    assert not torch.equal(model.memory[: V * B], first)
    model.loss(views(2), None)
    torch.testing.assert_close(model.memory[2 * V * B :], first[: 8 * B - 2 * V * B], rtol=0, atol=0)  # oldest out


def test_checkpoint_restores_the_bank_and_a_new_batch_size_is_refused():
    model = fnc()
    model.loss(views(0), None)
    restored = fnc(seed=1)
    assert restored.memory.shape == (0, D)  # sized by the first step
    restored.load_state_dict(model.state_dict())
    assert torch.equal(restored.memory, model.memory)
    with pytest.raises(ValueError, match='batch_size'):
        restored.loss([x[:2] for x in views(2)], None)


def test_bad_arguments_name_the_field():
    with pytest.raises(ValueError, match='memory_multiplier'):
        fnc(memory_multiplier=2)  # fewer than the 3 views of one batch
    with pytest.raises(ValueError, match='momentum'):
        fnc(momentum=1.0)
    with pytest.raises(ValueError, match='views'):
        fnc().loss(views()[:2], None)
