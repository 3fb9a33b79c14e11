"""tools/model_converters/extract_backbone_weights.py: backbone extraction of trained ResNet and ViT checkpoints."""

import pytest
import torch


def test_extract_backbone_weights_round_trip(trained_checkpoint, tmp_path):
    from mmpretrain.models import ResNet

    from tools.model_converters.extract_backbone_weights import main

    ckpt, backbone_state = trained_checkpoint
    out = str(tmp_path / 'backbone.pth')
    main([ckpt, out])
    weights = torch.load(out, weights_only=True)['state_dict']
    assert set(weights) == set(backbone_state)
    model = ResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=out))
    model.init_weights()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, backbone_state[key])


def test_extract_backbone_without_backbone_keys_fails(tmp_path):
    from tools.model_converters.extract_backbone_weights import extract_backbone

    with pytest.raises(KeyError, match="no key starts with 'backbone.'"):
        extract_backbone({'state_dict': {'head.fc.weight': torch.zeros(1)}})


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
