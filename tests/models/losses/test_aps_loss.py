"""APSLoss: values of methods.md 2.6, stop-gradient target, the hand-written cross-entropy, argument checks."""

import math

import pytest
import torch

from mmssl_ext.models import APSLoss


def test_loss_values_from_methods_md():
    loss = APSLoss(temperature=0.1)
    eye = torch.eye(2, dtype=torch.float64)  # float32 rounds log(1 + e^-10) at the 4th digit
    same = loss(eye, eye) + loss(eye, eye)
    assert same.item() == pytest.approx(2 * math.log(1 + math.exp(-10)), rel=1e-4)
    assert same.item() == pytest.approx(9.0798e-5, rel=1e-3)
    opposite = loss(-eye, eye) + loss(-eye, eye)
    assert opposite.item() == pytest.approx(20.000091, abs=1e-5)


def test_loss_sends_no_gradient_to_the_target():
    pred = torch.randn(6, 8, requires_grad=True)
    target = torch.randn(6, 8, requires_grad=True)
    APSLoss()(pred, target).backward()
    assert target.grad is None
    assert pred.grad is not None and pred.grad.abs().sum() > 0


def test_loss_equals_hand_written_cross_entropy():
    torch.manual_seed(1)
    p, z = torch.randn(5, 7, dtype=torch.float64), torch.randn(5, 7, dtype=torch.float64)
    pn, zn = p / p.norm(dim=1, keepdim=True), z / z.norm(dim=1, keepdim=True)
    logits = pn @ zn.T / 0.2
    expected = -(torch.diag(logits) - torch.logsumexp(logits, dim=1)).mean()
    assert torch.allclose(APSLoss(temperature=0.2)(p, z), expected, rtol=1e-12)


def test_loss_rejects_bad_shapes_and_temperature():
    with pytest.raises(ValueError, match='pred'):
        APSLoss()(torch.randn(4, 8), torch.randn(3, 8))
    with pytest.raises(ValueError, match='temperature'):
        APSLoss(temperature=0.0)
