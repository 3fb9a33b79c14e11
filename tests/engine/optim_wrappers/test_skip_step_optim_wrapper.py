"""SkipStepOptimWrapper: a rejected batch leaves the weights (momentum and decay included), with accumulation."""

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from mmssl_ext.engine.optim_wrappers import SkipStepOptimWrapper
from tests.models.algorithms.simclr_helpers import _MISSING, HUB_KEYS


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def clean_message_hub():
    """Run every test without a runner position in the message hub, and restore it after."""
    hub = MessageHub.get_current_instance()
    saved = {key: hub.pop_info(key, _MISSING) for key in HUB_KEYS}
    yield hub
    for key in HUB_KEYS:
        hub.pop_info(key)
        if saved[key] is not _MISSING:
            hub.update_info(key, saved[key])


def _linear_and_wrapper(wrapper_type, **kwargs):
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    return model, wrapper_type(optimizer=optimizer, **kwargs)


def _weights(model):
    return [p.detach().clone() for p in model.parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize('wrapper_type', [SkipStepOptimWrapper, OptimWrapper])
def test_skip_step_wrapper_leaves_a_rejected_step_out(wrapper_type, clean_message_hub):
    model, wrapper = _linear_and_wrapper(wrapper_type)
    x = torch.randn(8, 4)
    start = _weights(model)
    wrapper.update_params(model(x).square().mean())
    after_first = _weights(model)
    assert not _same(start, after_first)
    if wrapper_type is SkipStepOptimWrapper:
        assert wrapper.takes_rejected_batches
        wrapper.update_params(model(x).sum() * 0.0, rejected=True)
        assert _same(after_first, _weights(model))
        assert wrapper.skipped_steps == 1
        wrapper.update_params(model(x).square().mean())  # the next accepted step does update
        assert not _same(after_first, _weights(model)) and wrapper.skipped_steps == 1
    else:
        assert not getattr(wrapper, 'takes_rejected_batches', False)
        wrapper.update_params(model(x).sum() * 0.0)
        # a plain wrapper still applies momentum and weight decay to a zero gradient
        assert not _same(after_first, _weights(model))


def test_skip_step_wrapper_accumulation_steps_when_one_batch_is_accepted(clean_message_hub):
    model, wrapper = _linear_and_wrapper(SkipStepOptimWrapper, accumulative_counts=2)
    ref_model, ref_wrapper = _linear_and_wrapper(OptimWrapper, accumulative_counts=2)
    x = torch.randn(8, 4)
    start = _weights(model)
    wrapper.update_params(model(x).sum() * 0.0, rejected=True)
    assert _same(start, _weights(model))  # window not complete yet
    wrapper.update_params(model(x).square().mean())
    assert not _same(start, _weights(model)) and wrapper.skipped_steps == 0
    # same update as a plain wrapper accumulating (zero gradient + accepted batch)
    ref_wrapper.update_params(ref_model(x).sum() * 0.0)
    ref_wrapper.update_params(ref_model(x).square().mean())
    assert _same(_weights(ref_model), _weights(model))
    # a window of two rejected batches: no step at all
    before = _weights(model)
    for _ in range(2):
        wrapper.update_params(model(x).sum() * 0.0, rejected=True)
    assert _same(before, _weights(model)) and wrapper.skipped_steps == 1
