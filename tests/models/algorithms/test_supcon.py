"""SupCon: missing labels are refused, the loss is SupConLoss of the embeddings, distinct labels give SimCLR."""

import pytest
import torch
from mmpretrain.structures import DataSample

from mmssl_ext.models.losses import NTXentLoss, SupConLoss
from mmssl_ext.registry import MODELS
from tests.models.algorithms.supcon_helpers import LABELS, SUPCON, _load, _samples, _supcon_model, _views


def test_supcon_without_labels_raises():
    model = _supcon_model()
    inputs = _views()
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, [DataSample() for _ in range(8)])
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, _samples(LABELS[:7]) + [DataSample()])  # one unlabelled image is enough
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, None)
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, _samples(LABELS[:7]))  # one sample short
    assert torch.isfinite(model.loss(inputs, _samples(LABELS))['loss'])


def test_supcon_loss_is_supconloss_of_the_embeddings():
    model = _supcon_model()
    assert (model.loss_module.temperature, model.loss_module.base_temperature) == (0.1, 0.07)
    inputs = _views()
    loss = model.loss(inputs, _samples(LABELS))['loss']
    with torch.no_grad():
        features = model.embed(inputs)
    assert features.shape == (8, 2, 128)
    official = SupConLoss(temperature=0.1, base_temperature=0.07)(features, labels=LABELS)
    torch.testing.assert_close(loss.detach(), official, rtol=1e-6, atol=0)
    unscaled = SupConLoss(temperature=0.1, base_temperature=0.1)(features, labels=LABELS)
    torch.testing.assert_close(official, unscaled * (0.1 / 0.07), rtol=1e-6, atol=0)  # the official quirk
    simclr = SupConLoss(temperature=0.1, base_temperature=0.07)(features, labels=torch.arange(8))
    assert not torch.allclose(official, simclr)  # the repeated labels matter


def test_supcon_with_distinct_labels_is_simclr():
    model = _supcon_model()
    cfg = _load(SUPCON).model
    simclr = MODELS.build(
        dict(
            type='ContrastiveSimCLR',
            backbone=cfg.backbone,
            neck=cfg.neck,
            loss=dict(type='NTXentLoss', temperature=0.1),
        )
    )
    simclr.load_state_dict(model.state_dict(), strict=True)
    assert isinstance(simclr.loss_module, NTXentLoss)
    inputs = _views()
    supcon_loss = model.loss(inputs, _samples(torch.arange(8)))['loss']
    simclr_loss = simclr.loss(inputs, _samples(torch.arange(8)))['loss']
    torch.testing.assert_close(supcon_loss, simclr_loss * (0.1 / 0.07), rtol=1e-5, atol=0)
