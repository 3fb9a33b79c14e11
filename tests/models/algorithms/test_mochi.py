"""MoCHi: without mixing it is MoCo v2, mixing changes the loss not the queue, start epoch / iteration from the hub."""

import pytest
import torch
from mmengine.logging import MessageHub

from mmssl_ext.models.algorithms import MoCHi
from tests.models.algorithms.moco_helpers import (
    assert_same_grads,
    assert_same_queue,
    build,
    clone_into,
    images,
    mixer,
    step,
)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def hub_epoch():
    """The current message hub with no 'epoch' or 'iter' (outside a runner); the old info is restored afterwards."""
    hub = MessageHub.get_current_instance()
    old = {key: hub.get_info(key) for key in ('epoch', 'iter')}
    for key in old:
        hub.update_info(key, None)
    yield hub
    for key, value in old.items():
        hub.update_info(key, value)


def test_mochi_without_mixing_equals_mocov2(hub_epoch):
    mochi = build('MoCHi', mixer=mixer(num_mix=0, num_query_mix=0))
    moco = clone_into(mochi, 'MoCoV2')
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, total = step(mochi, inputs, seed=30 + it)
        _, ref_total = step(moco, inputs, seed=30 + it)
        assert set(losses) == {'loss'}
        assert torch.equal(total, ref_total)
        assert_same_grads(mochi, moco, exact=True)
        assert_same_queue(mochi, moco)


def test_mochi_mixing_changes_loss_not_queue(hub_epoch):
    mochi = build('MoCHi', mixer=mixer())
    moco = clone_into(mochi, 'MoCoV2')
    assert isinstance(mochi, MoCHi)
    for it in range(2):
        inputs = images(16, 16, seed=it)
        _, total = step(mochi, inputs, seed=40 + it)
        _, ref_total = step(moco, inputs, seed=40 + it)
        assert total > ref_total + 1e-4  # extra negatives only enlarge the denominator
        assert_same_queue(mochi, moco)  # synthetic negatives never enqueued


def test_mochi_start_epoch_from_message_hub(hub_epoch):
    mochi = build('MoCHi', mixer=mixer(start_epoch=5))
    moco = clone_into(mochi, 'MoCoV2')
    inputs = images(16, 16)
    hub_epoch.update_info('epoch', 3)
    _, total = step(mochi, inputs, seed=50)
    _, ref_total = step(moco, inputs, seed=50)
    assert torch.equal(total, ref_total)
    assert_same_queue(mochi, moco)
    hub_epoch.update_info('epoch', 5)
    _, total = step(mochi, inputs, seed=51)
    _, ref_total = step(moco, inputs, seed=51)
    assert total > ref_total + 1e-4
    assert_same_queue(mochi, moco)


def test_mochi_start_iter_in_an_iteration_loop(hub_epoch):
    # an IterBasedTrainLoop stays in epoch 0: the delay is counted in the runner's 'iter'
    mochi = build('MoCHi', mixer=mixer(start_iter=7))
    moco = clone_into(mochi, 'MoCoV2')
    inputs = images(16, 16)
    hub_epoch.update_info('epoch', 0)
    hub_epoch.update_info('iter', 6)
    _, total = step(mochi, inputs, seed=52)
    _, ref_total = step(moco, inputs, seed=52)
    assert torch.equal(total, ref_total)
    hub_epoch.update_info('iter', 7)
    _, total = step(mochi, inputs, seed=53)
    _, ref_total = step(moco, inputs, seed=53)
    assert total > ref_total + 1e-4
    assert_same_queue(mochi, moco)


def test_mochi_num_hard_exceeds_queue_len():
    with pytest.raises(ValueError, match='queue_len'):
        build('MoCHi', queue_len=8, mixer=mixer(num_hard=9))
