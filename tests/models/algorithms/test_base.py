"""ContrastiveObjectiveMixin: an mmpretrain `head` and wrong views are refused (SimCLR-family algorithms)."""

import pytest
import torch
from mmengine.logging import MessageHub

from tests.models.algorithms.simclr_helpers import _MISSING, HUB_KEYS, B, build, images


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


@pytest.mark.parametrize('type_', ['ContrastiveSimCLR', 'CuratedSimCLR'])
def test_head_argument_is_rejected(type_):
    head = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)
    with pytest.raises(ValueError, match='head'):
        build(type_, head=head)


@pytest.mark.parametrize('type_', ['ContrastiveSimCLR', 'CuratedSimCLR'])
def test_wrong_views_are_rejected(type_):
    model = build(type_)
    with pytest.raises(ValueError, match='expects 2 views'):
        model.loss(images(views=3), None)
    with pytest.raises(ValueError, match='one shape'):
        model.loss([images(size=16)[0], images(size=12)[0]], None)
    with pytest.raises(ValueError, match='expects 2 views'):
        model.loss(torch.randn(B, 3, 16, 16), None)
