"""APSViT: encoding a per-sample token subset equals masking the embedded full sequence."""

import pytest
import torch
from mmpretrain.models.backbones import VisionTransformer

from mmssl_ext.models.backbones import APSViT
from tests.helpers import ROOT

TINY = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def _vit(**kwargs):
    torch.manual_seed(0)
    model = APSViT(arch=TINY, img_size=8, patch_size=2, qkv_bias=False, **kwargs)  # 4 x 4 = 16 patches
    model.init_weights()
    with torch.no_grad():  # non-trivial position embeddings and cls token
        model.pos_embed.normal_(std=0.5)
        model.cls_token.normal_(std=0.5)
    model.eval()
    return model


def _reference(model, x, keep, cls_pos=True):
    """Embed all patches, add the position embedding, drop the unkept tokens by a boolean mask, run the blocks."""
    tokens, _ = model.patch_embed(x)
    tokens = tokens + model.pos_embed[:, 1:]
    rows = [tokens[b][keep[b]] for b in range(x.shape[0])]
    cls = model.cls_token + (model.pos_embed[:, :1] if cls_pos else 0)
    seq = torch.stack([torch.cat([cls[0], r]) for r in rows])
    for layer in model.layers:
        seq = layer(seq)
    return model.ln1(seq)[:, 0]


@pytest.mark.parametrize('cls_pos_embed', [True, False])
def test_token_gather_equals_masking_the_embedded_sequence(cls_pos_embed):
    model = _vit(cls_pos_embed=cls_pos_embed)
    x = torch.randn(3, 3, 8, 8)
    keep = torch.zeros(3, 16, dtype=torch.bool)
    idx = torch.stack([torch.randperm(16, generator=torch.Generator().manual_seed(b))[:5] for b in range(3)])
    keep[torch.arange(3)[:, None], idx] = True
    sorted_idx = torch.stack([torch.nonzero(k).squeeze(1) for k in keep])
    out = model(x, sorted_idx)[0]
    torch.testing.assert_close(out, _reference(model, x, keep, cls_pos_embed), rtol=1e-5, atol=1e-5)
    # the cls output does not depend on the order of the kept ids (no position is attached to the order)
    torch.testing.assert_close(model(x, idx)[0], out, rtol=1e-5, atol=1e-5)


def test_all_tokens_equal_mmpretrain_vit_with_the_same_weights():
    model = _vit(cls_pos_embed=True)
    vit = VisionTransformer(arch=TINY, img_size=8, patch_size=2, qkv_bias=False)
    vit.load_state_dict(model.state_dict())
    vit.eval()
    x = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(model(x)[0], vit(x)[0], rtol=1e-5, atol=1e-5)
    all_ids = torch.arange(16).expand(2, -1)
    torch.testing.assert_close(model(x, all_ids)[0], vit(x)[0], rtol=1e-5, atol=1e-5)


def test_cifar_variant_puts_no_position_embedding_on_cls():
    with_pos, without = _vit(cls_pos_embed=True), _vit(cls_pos_embed=False)
    x = torch.randn(2, 3, 8, 8)
    assert not torch.allclose(with_pos(x)[0], without(x)[0])
    without.pos_embed.grad = None
    without.train()
    weight = torch.randn(32)  # (a plain sum of the LayerNorm-ed cls output is constant)
    (without(x, torch.arange(4).expand(2, -1))[0] * weight).sum().backward()
    assert torch.all(without.pos_embed.grad[:, 0] == 0)  # the cls slot is unused
    assert torch.any(without.pos_embed.grad[:, 1:5] != 0) and torch.all(without.pos_embed.grad[:, 5:] == 0)


def test_bad_token_idx_and_featmap_raise():
    model = _vit()
    x = torch.randn(2, 3, 8, 8)
    with pytest.raises(ValueError, match='token_idx'):
        model(x, torch.tensor([[0, 16], [1, 2]]))
    with pytest.raises(ValueError, match='token_idx'):
        model(x, torch.tensor([0, 1]))
    featmap = APSViT(arch=TINY, img_size=8, patch_size=2, out_type='featmap')
    with pytest.raises(ValueError, match='feature map'):
        featmap(x, torch.tensor([[0, 1], [1, 2]]))


def test_cifar_model_starts_as_the_official_one():
    """CIFAR APS configs: cls token trunc-normal 0.02, PyTorch-default Linear/Conv, LayerNorm eps 1e-5."""
    import os.path as osp

    import torch.nn as nn
    from mmengine.config import Config

    from mmssl_ext.registry import MODELS
    from mmssl_ext.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/aps_vit-tiny-p2_cifar.py')).model.backbone
    torch.manual_seed(0)
    official = MODELS.build(cfg)
    official.init_weights()
    plain = MODELS.build({**cfg, 'official_init': False})
    plain.init_weights()
    assert 0.01 < float(official.cls_token.std()) < 0.03 and float(plain.cls_token.abs().max()) == 0.0
    assert 0.01 < float(official.pos_embed.std()) < 0.03
    fc = official.layers[0].ffn.layers[0][0]
    bound = 1 / fc.in_features**0.5  # nn.Linear's default: weight and bias uniform in +-1/sqrt(fan_in)
    assert float(fc.weight.abs().max()) <= bound and float(fc.bias.std()) > bound / 4
    assert float(plain.layers[0].ffn.layers[0][0].bias.std()) < 1e-4  # mmpretrain: bias ~ N(0, 1e-6)
    norms = [m for m in official.modules() if isinstance(m, nn.LayerNorm)]
    assert norms and all(m.eps == 1e-5 for m in norms)
