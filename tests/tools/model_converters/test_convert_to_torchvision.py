"""ResNet to torchvision's layout: the same features as mmpretrain's ResNet, and an exact round trip."""

import pytest
import torch
import torchvision

from tests.helpers.resnet import full_checkpoint as _full_checkpoint
from tests.helpers.resnet import random_resnet as _random_resnet


@pytest.mark.parametrize('depth,factory', [(18, torchvision.models.resnet18), (50, torchvision.models.resnet50)])
def test_torchvision_weights_give_the_same_features(tmp_path, depth, factory):
    from tools.model_converters.convert_to_torchvision import main

    model = _random_resnet(depth=depth)
    out = tmp_path / 'tv.pth'
    main([_full_checkpoint(model, tmp_path / 'full.pth'), str(out)])
    tv = factory()
    result = tv.load_state_dict(torch.load(out, weights_only=True), strict=False)
    assert sorted(result.missing_keys) == ['fc.bias', 'fc.weight'] and not result.unexpected_keys
    trunk = torch.nn.Sequential(*list(tv.children())[:-2]).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(trunk(x), model(x)[0], rtol=1e-5, atol=1e-5)


def test_torchvision_round_trip_is_exact():
    from tools.model_converters.convert_to_torchvision import from_torchvision, to_torchvision

    state = _random_resnet(depth=18).state_dict()
    tv = to_torchvision(state)
    tv.update({'fc.weight': torch.zeros(1000, 512), 'fc.bias': torch.zeros(1000)})
    back = from_torchvision(tv)
    assert list(back) == list(state)
    assert all(torch.equal(back[k], state[k]) for k in state)
