"""APSHead: equal to mmpretrain's MoCoV3Head summed over both directions; gradient only through the prediction."""

import torch

from mmssl_ext.models import APSHead
from mmssl_ext.registry import MODELS
from tests.models.algorithms.aps_helpers import _mlp


def test_head_equals_mmpretrain_mocov3_head_summed_over_directions():
    torch.manual_seed(0)
    ours = APSHead(predictor=_mlp(16), loss=dict(type='APSLoss', temperature=0.1))
    theirs = MODELS.build(
        dict(
            type='MoCoV3Head',
            predictor=_mlp(16),
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            temperature=0.1,
        )
    )
    theirs.predictor.load_state_dict(ours.predictor.state_dict())
    z1, z2 = torch.randn(8, 16), torch.randn(8, 16)
    expected = theirs.loss(z1, z2.detach()) + theirs.loss(z2, z1.detach())
    assert torch.allclose(ours.loss(z1, z2), expected, rtol=1e-5, atol=1e-6)


def test_head_gradient_reaches_each_view_only_through_its_prediction():
    torch.manual_seed(0)
    head = APSHead(predictor=_mlp(16))
    z1, z2 = torch.randn(8, 16, requires_grad=True), torch.randn(8, 16, requires_grad=True)
    head.loss(z1, z2).backward()
    g1 = z1.grad.clone()
    z1.grad = None
    # the same gradient as the direction in which z1 is predicted (its target role is stop-gradient)
    head.loss_module(head.predict_from(z1), z2).backward()
    assert torch.allclose(z1.grad, g1, atol=1e-6)
