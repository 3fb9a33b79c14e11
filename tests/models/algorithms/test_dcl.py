"""DCL: the algorithm is DCLLoss on SimCLR embeddings and refuses any other loss."""

import pytest
import torch
from mmengine.logging import MessageHub

from mmssl_ext.models.algorithms import DCL
from mmssl_ext.models.losses import DCLLoss, NTXentLoss
from tests.models.algorithms.simclr_helpers import _MISSING, HUB_KEYS, LOSS, build, clone_into, images


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


def test_dcl_algorithm_equals_dcl_loss_on_simclr_embeddings():
    dcl_loss = dict(type='DCLLoss', temperature=0.2, weight_fn='vmf')
    dcl = build('DCL', loss=dcl_loss)
    assert isinstance(dcl, DCL)
    simclr = clone_into(dcl, 'ContrastiveSimCLR')
    inputs = images(seed=3)
    got = dcl.loss(inputs, None)['loss']
    expected = DCLLoss(temperature=0.2, weight_fn='vmf')(simclr.embed(inputs))
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=0)
    assert not torch.allclose(got, NTXentLoss(temperature=0.2)(simclr.embed(inputs)))


def test_dcl_rejects_a_non_dcl_loss():
    with pytest.raises(ValueError, match='DCLLoss'):
        build('DCL', loss=LOSS)
