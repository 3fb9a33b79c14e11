"""ResNet converters: torchvision layout (same features as mmpretrain's ResNet, round trip) and detectron2's .pkl
layout (detectron2 names, plain pickle of numpy arrays, round trip); layouts that do not convert fail clearly;
backbone extraction for ViT checkpoints."""

import pickle

import pytest
import torch
import torchvision
from mmpretrain.models import ResNet, ResNet_CIFAR, ResNetV1c


def _random_resnet(cls=ResNet, depth=50, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = cls(depth=depth, out_indices=(3,), **kwargs)
    with torch.no_grad():  # non-trivial BN statistics and affine parameters
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()  # ResNet.train() returns None
    return model


def _full_checkpoint(model, path):
    state = {f'backbone.{k}': v for k, v in model.state_dict().items()}
    state['neck.mlp.0.weight'] = torch.randn(4, 2048)  # projector keys: not part of the backbone
    torch.save({'state_dict': state, 'meta': {}}, path)
    return str(path)


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


def test_detectron2_names_pickle_and_round_trip(tmp_path):
    from tools.model_converters.convert_to_detectron2 import d2_key, main

    model = _random_resnet(depth=50)
    state = model.state_dict()
    pkl = tmp_path / 'r50.pkl'
    main([_full_checkpoint(model, tmp_path / 'full.pth'), str(pkl)])
    with open(pkl, 'rb') as f:
        obj = pickle.load(f, encoding='latin1')  # how detectron2 reads .pkl weights
    assert obj['__author__'] == 'mmssl_ext' and obj['matching_heuristics'] is True
    names = set(obj['model'])
    for name in (
        'stem.conv1.weight',
        'stem.conv1.norm.running_var',
        'res2.0.conv1.weight',
        'res2.0.conv1.norm.bias',
        'res2.0.shortcut.weight',
        'res2.0.shortcut.norm.running_mean',
        'res3.3.conv3.norm.weight',
        'res4.5.conv2.weight',
        'res5.2.conv3.norm.running_var',
    ):
        assert name in names, name
    assert not any('layer' in n or 'bn' in n or 'downsample' in n or 'num_batches' in n for n in names)
    assert len(names) == sum(1 for k in state if not k.endswith('num_batches_tracked'))
    assert all(type(v).__module__ == 'numpy' for v in obj['model'].values())
    assert (obj['model'][d2_key('layer3.1.bn2.weight')] == state['layer3.1.bn2.weight'].numpy()).all()

    back = tmp_path / 'back.pth'
    main([str(pkl), str(back), '--reverse'])
    restored = torch.load(back, weights_only=True)['state_dict']
    expected = {k: v for k, v in state.items() if not k.endswith('num_batches_tracked')}
    assert set(restored) == set(expected)
    assert all(torch.equal(restored[k], v) for k, v in expected.items())
    loaded = ResNet(depth=50, out_indices=(3,))
    missing = loaded.load_state_dict(restored, strict=False).missing_keys
    assert all(k.endswith('num_batches_tracked') for k in missing)


@pytest.mark.parametrize(
    'cls,match',
    [(ResNet_CIFAR, 'CIFAR stem'), (ResNetV1c, 'deep-stem')],
)
def test_layouts_without_a_counterpart_fail_clearly(tmp_path, cls, match):
    from tools.model_converters.convert_to_detectron2 import main as to_d2
    from tools.model_converters.convert_to_torchvision import main as to_tv

    ckpt = _full_checkpoint(_random_resnet(cls, depth=18), tmp_path / 'full.pth')
    for convert, suffix in ((to_tv, 'pth'), (to_d2, 'pkl')):
        with pytest.raises(ValueError, match=match):
            convert([ckpt, str(tmp_path / f'out.{suffix}')])


def test_extract_backbone_of_a_vit_checkpoint(tmp_path):
    from mmssl_ext.registry import MODELS
    from tools.model_converters.extract_backbone_weights import main

    torch.manual_seed(0)
    vit = MODELS.build(dict(type='APSViT', arch='deit-tiny', img_size=32, patch_size=8, cls_pos_embed=False))
    state = {f'backbone.{k}': v for k, v in vit.state_dict().items()}
    state.update({'neck.mlp.0.weight': torch.randn(3, 3), 'head.predictor.mlp.0.weight': torch.randn(3, 3)})
    src, out = tmp_path / 'aps.pth', tmp_path / 'vit.pth'
    torch.save({'state_dict': state, 'meta': {}}, src)
    main([str(src), str(out)])
    weights = torch.load(out, weights_only=True)['state_dict']
    assert list(weights) == list(vit.state_dict())
    fresh = MODELS.build(dict(type='APSViT', arch='deit-tiny', img_size=32, patch_size=8, cls_pos_embed=False))
    fresh.load_state_dict(weights, strict=True)
    x = torch.randn(2, 3, 32, 32)
    vit.eval(), fresh.eval()
    torch.testing.assert_close(fresh(x)[0], vit(x)[0])
