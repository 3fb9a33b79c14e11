"""SCE: the hand-computed soft target, lambda = 1 is InfoNCE, symmetric step and queue, predictor, cosine momentum."""

import copy
import math

import pytest
import torch
from mmengine.logging import MessageHub

from mmssl_ext.models.algorithms import SCE
from mmssl_ext.models.utils import CosineHostStepsEMA, HostStepsEMA, cosine_momentum
from tests.models.algorithms.moco_helpers import FEAT_DIM, build, hand_moco_ce, images

PREDICTOR = dict(
    type='NonLinearNeck',
    in_channels=FEAT_DIM,
    hid_channels=32,
    out_channels=FEAT_DIM,
    num_layers=2,
    with_bias=False,
    with_last_bn=False,
    with_avg_pool=False,
    norm_cfg=dict(type='BN1d'),
)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def hub():
    """The current message hub without a run length (outside a runner); restored afterwards."""
    hub = MessageHub.get_current_instance()
    old = hub.get_info('max_iters')
    hub.update_info('max_iters', None)
    yield hub
    hub.update_info('max_iters', old)


def sce(**kwargs):
    return build('SCE', predictor=PREDICTOR, **kwargs)


def hand_sce(q, k, queue, temperature, temperature_m, coeff):
    """The paper's equation written out per sample: the positive slot gets only the one-hot mass."""
    total = 0.0
    for i in range(len(q)):
        logits = torch.cat([(q[i] * k[i]).sum().view(1), queue @ q[i]]) / temperature
        relations = torch.softmax(queue @ k[i] / temperature_m, dim=0)
        target = torch.cat([torch.tensor([coeff]), (1 - coeff) * relations])
        total = total - (target * torch.log_softmax(logits, dim=0)).sum()
    return total / len(q)


def _embeddings_of(model, inputs):
    """Query, key and queue the model will use on ``inputs``, from a copy (the model itself is untouched)."""
    probe = copy.deepcopy(model)
    with torch.no_grad():
        return probe.encode_query(inputs[0]), probe.encode_key(inputs[1]), probe.queue.T.clone()


def test_loss_equals_the_hand_computed_soft_target(hub):
    model = sce(symmetric=False, loss=dict(type='SCELoss', temperature=0.1, temperature_m=0.05, coeff=0.5))
    inputs = images(16, 16)
    q, k, queue = _embeddings_of(model, inputs)
    loss = model.loss(inputs, None)['loss']
    torch.testing.assert_close(loss, hand_sce(q, k, queue, 0.1, 0.05, 0.5), rtol=1e-5, atol=1e-6)


def hand_sce_zero_logit(q, k, queue, temperature, temperature_m, coeff):
    """eztorch's form: a constant logit 0 at the positive slot of the target softmax."""
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], 1) / temperature
    relations = torch.softmax(torch.cat([torch.zeros(len(k), 1), k @ queue.T], 1) / temperature_m, dim=1)
    target = (1 - coeff) * relations
    target[:, 0] += coeff
    return -(target * torch.log_softmax(logits, dim=1)).sum(1).mean()


def test_official_zero_logit_form_equals_its_hand_formula_not_the_paper_form(hub):
    official = sce(symmetric=False, loss=dict(type='SCELoss', temperature_m=0.07, compat_zero_logit=True))
    inputs = images(16, 16)
    q, k, queue = _embeddings_of(official, inputs)
    loss = official.loss(inputs, None)['loss']
    torch.testing.assert_close(loss, hand_sce_zero_logit(q, k, queue, 0.1, 0.07, 0.5), rtol=1e-6, atol=1e-7)
    assert abs(float(loss - hand_sce(q, k, queue, 0.1, 0.07, 0.5))) > 1e-6


def test_coeff_one_is_moco_infonce(hub):
    model = sce(symmetric=False, loss=dict(type='SCELoss', temperature=0.2, coeff=1.0))
    inputs = images(16, 16, seed=3)
    q, k, queue = _embeddings_of(model, inputs)
    loss = model.loss(inputs, None)['loss']
    torch.testing.assert_close(loss, hand_moco_ce(q, k, queue, temperature=0.2), rtol=1e-5, atol=1e-6)


def test_symmetric_step_averages_both_directions_and_enqueues_both_keys(hub):
    model = sce()
    assert model.symmetric and not model.shuffle_bn  # the released recipe's defaults
    inputs = images(16, 16, seed=5)
    probe = copy.deepcopy(model)
    with torch.no_grad():
        k_1, k_0 = probe.encode_key(inputs[1]), probe.encode_key(inputs[0], update=False)
        q_0, q_1, queue = probe.encode_query(inputs[0]), probe.encode_query(inputs[1]), probe.queue.T.clone()
    loss = model.loss(inputs, None)['loss']
    expected = (hand_sce(q_0, k_1, queue, 0.1, 0.07, 0.5) + hand_sce(q_1, k_0, queue, 0.1, 0.07, 0.5)) / 2
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    batch = inputs[0].shape[0]
    assert int(model.queue_ptr) == 2 * batch
    torch.testing.assert_close(model.queue[:, : 2 * batch].T, torch.cat([k_1, k_0]), rtol=0, atol=1e-7)


def test_predictor_is_online_only_and_gets_a_gradient(hub):
    model = sce()
    model.loss(images(16, 16), None)['loss'].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.predictor.parameters())
    assert not any(name.startswith('predictor') for name, _ in model.encoder_k.module.named_parameters())
    assert all(p.grad is None for p in model.encoder_k.parameters())  # the target is never back-propagated


def test_cosine_momentum_values():
    assert cosine_momentum(0.01, 0.0, 0, 11) == pytest.approx(0.01)
    assert cosine_momentum(0.01, 0.0, 5, 11) == pytest.approx(0.005)
    assert cosine_momentum(0.01, 0.0, 10, 11) == pytest.approx(0.0)
    assert cosine_momentum(0.01, 0.0, 99, 11) == pytest.approx(0.0)  # clamped at the last step
    assert cosine_momentum(0.01, 0.0, 3, None) == 0.01  # outside a runner: constant
    # eztorch's rule in tau = 1 - m: tau_j = 1 - (1 - tau_0) (cos(pi j / (T - 1)) + 1) / 2
    tau = 1 - cosine_momentum(0.01, 0.0, 3, 11)
    assert tau == pytest.approx(1 - 0.01 * (math.cos(math.pi * 3 / 10) + 1) / 2)


def test_cosine_ema_update_follows_the_schedule(hub):
    hub.update_info('max_iters', 5)
    online = torch.nn.Linear(3, 2, bias=False)
    ema = CosineHostStepsEMA(online, momentum=0.1, end_momentum=0.0)
    expected = online.weight.detach().clone()
    for step in range(5):
        with torch.no_grad():
            online.weight.add_(1.0)
        ema.update_parameters(online)
        if step == 0:
            expected = online.weight.detach().clone()  # the first update copies
        else:
            m = 0.1 * (math.cos(math.pi * (step - 1) / 4) + 1) / 2  # weights of optimiser step `step - 1`
            expected = (1 - m) * expected + m * online.weight.detach()
        torch.testing.assert_close(ema.module.weight, expected, rtol=1e-6, atol=1e-6)


def test_cosine_ema_resumes_the_schedule_from_its_saved_steps(hub):
    hub.update_info('max_iters', 10)
    online = torch.nn.Linear(3, 2)
    ema = CosineHostStepsEMA(online, momentum=0.1)
    for _ in range(4):
        ema.update_parameters(online)
    restored = CosineHostStepsEMA(torch.nn.Linear(3, 2), momentum=0.1)
    assert restored.current_momentum() == pytest.approx(0.1)
    restored.load_state_dict(ema.state_dict())
    assert restored.current_momentum() == pytest.approx(ema.current_momentum())
    assert ema.current_momentum() == pytest.approx(cosine_momentum(0.1, 0.0, 3, 10))


def test_model_anneals_its_target_momentum_unless_end_momentum_is_none(hub):
    assert type(sce().encoder_k) is CosineHostStepsEMA
    constant = sce(end_momentum=None)
    assert type(constant.encoder_k) is HostStepsEMA
    assert isinstance(constant, SCE)


def test_bad_arguments_name_the_field():
    with pytest.raises(ValueError, match='predictor'):
        build('SCE', predictor=None)
    with pytest.raises(ValueError, match='end_momentum'):
        sce(end_momentum=1.0)
    with pytest.raises(ValueError, match='queue_len'):
        sce(queue_len=8).check_global_batch(8)  # symmetric: 16 keys per step
