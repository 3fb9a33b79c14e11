"""Backbones to timm: the printed timm model loads the weights with strict=True and gives the backbone's features."""

import json

import pytest
import timm
import torch
from mmengine import Config
from mmpretrain.models import ResNet_CIFAR

from tests.helpers.resnet import full_checkpoint as _full_checkpoint
from tests.helpers.resnet import random_resnet as _random_resnet

APS_CONFIG = 'configs/_base_/models/aps_vit-tiny-p2_cifar.py'
SMALL_ARCH = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=256)


def _printed_model(stdout):
    """Run the indented Python lines the converter printed; they build ``model`` and load the weights strictly."""
    code = '\n'.join(line[4:] for line in stdout.splitlines() if line.startswith('    '))
    assert 'strict=True' in code, stdout
    scope = {}
    exec(code, scope)  # the converter's own printed instructions, run as a user would
    return scope['model'].eval()


@pytest.mark.parametrize('depth', [18, 50])
def test_resnet_gives_the_same_features(tmp_path, capsys, depth):
    from tools.model_converters.convert_to_timm import main

    model = _random_resnet(depth=depth)
    out, arch = tmp_path / 'timm.pth', tmp_path / 'arch.json'
    assert main([_full_checkpoint(model, tmp_path / 'full.pth'), str(out), '--arch-json', str(arch)]) == 0
    stdout = capsys.readouterr().out
    assert f"timm.create_model('resnet{depth}', num_classes=0)" in stdout and 'checked:' in stdout
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(_printed_model(stdout).forward_features(x), model(x)[0], rtol=1e-5, atol=1e-5)
    spec = json.loads(arch.read_text())
    assert spec == {'model_name': f'resnet{depth}', 'num_classes': 0}
    timm.create_model(**spec).load_state_dict(torch.load(out, weights_only=True), strict=True)


def test_cifar_stem_is_refused_unless_asked_then_matches(tmp_path, capsys):
    from tools.model_converters.convert_to_timm import create_timm_model, main

    model = _random_resnet(ResNet_CIFAR, depth=18)
    full, out, arch = _full_checkpoint(model, tmp_path / 'full.pth'), tmp_path / 'timm.pth', tmp_path / 'arch.json'
    assert main([full, str(out)]) == 1
    err = capsys.readouterr().err
    assert 'conv1.weight has shape (64, 3, 3, 3)' in err and '--cifar-stem' in err
    assert not out.exists()

    assert main([full, str(out), '--cifar-stem', '--arch-json', str(arch)]) == 0
    stdout = capsys.readouterr().out
    spec = json.loads(arch.read_text())
    assert spec == {'model_name': 'resnet18', 'num_classes': 0, 'cifar_stem': True}
    with pytest.raises(TypeError, match='cifar_stem'):  # a bare create_model must not build the 7x7-stem model
        timm.create_model(**spec)
    from_json = create_timm_model(spec).eval()
    from_json.load_state_dict(torch.load(out, weights_only=True), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)[0]
        torch.testing.assert_close(_printed_model(stdout).forward_features(x), expected, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(from_json.forward_features(x), expected, rtol=1e-5, atol=1e-5)


def _vit_cfg(case):
    if case == 'aps':  # the project's APS backbone (cls token without position embedding, eps 1e-5), made small
        cfg = Config.fromfile(APS_CONFIG).model.backbone.to_dict()
        cfg.update(arch=SMALL_ARCH, img_size=32, patch_size=4)
        return cfg
    return dict(  # mmpretrain's ViT with the avg_featmap head norm, pre-norm and layer scale
        type='VisionTransformer',
        arch=SMALL_ARCH,
        img_size=32,
        patch_size=4,
        out_type='avg_featmap',
        final_norm=False,
        pre_norm=True,
        layer_scale_init_value=0.1,
    )


def _random_vit(cfg):
    from mmssl_ext.registry import MODELS
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    model = MODELS.build(cfg)  # Linear / Conv2d at PyTorch's initialisation
    with torch.no_grad():  # non-trivial norms, tokens and layer scales; a used cls position slot would show
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        for name, p in model.named_parameters():
            if name in ('cls_token', 'pos_embed') or 'gamma' in name:
                p.copy_(torch.randn_like(p) * 0.5)
    model.eval()  # mmpretrain backbones' train() returns None
    return model


@pytest.mark.parametrize('case,source', [('aps', 'config'), ('aps', 'meta'), ('avg', 'meta')])
def test_vit_gives_the_same_features(tmp_path, capsys, case, source):
    from tools.model_converters.convert_to_timm import create_timm_model, main

    cfg = _vit_cfg(case)
    model = _random_vit(cfg)
    text = Config(dict(model=dict(backbone=cfg))).pretty_text
    state = {f'backbone.{k}': v for k, v in model.state_dict().items()}
    state['neck.mlp.0.weight'] = torch.randn(4, 64)  # projector keys: not part of the backbone
    full, out, arch = tmp_path / 'full.pth', tmp_path / 'timm.pth', tmp_path / 'arch.json'
    torch.save({'state_dict': state, 'meta': {'cfg': text} if source == 'meta' else {}}, full)
    argv = [str(full), str(out), '--arch-json', str(arch)]
    if source == 'config':
        (tmp_path / 'cfg.py').write_text(text)
        argv += ['--config', str(tmp_path / 'cfg.py')]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    spec = json.loads(arch.read_text())
    expected_spec = dict(embed_dim=64, depth=2, num_heads=4, patch_size=4, img_size=32, mlp_ratio=4.0, num_classes=0)
    assert {k: spec[k] for k in expected_spec} == expected_spec
    if case == 'aps':
        assert spec['qkv_bias'] is False and spec['class_token'] is True and spec['global_pool'] == 'token'
        assert spec['no_embed_class'] is True and spec['norm_eps'] == 1e-5
    else:
        assert spec['global_pool'] == 'avg' and spec['fc_norm'] is True and 'norm_eps' not in spec
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)[0]
        for timm_model in (_printed_model(stdout), create_timm_model(spec).eval()):
            timm_model.load_state_dict(torch.load(out, weights_only=True), strict=True)
            features = timm_model.forward_head(timm_model.forward_features(x), pre_logits=True)
            torch.testing.assert_close(features, expected, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(timm_model(x), expected, rtol=1e-5, atol=1e-5)


def test_wrong_inputs_name_what_is_missing(tmp_path, capsys):
    from tools.model_converters.convert_to_timm import main

    no_backbone = tmp_path / 'neck.pth'
    torch.save({'state_dict': {'neck.mlp.0.weight': torch.randn(4, 8)}, 'meta': {}}, no_backbone)
    assert main([str(no_backbone), str(tmp_path / 'out.pth')]) == 1
    err = capsys.readouterr().err
    assert "no key starts with prefix 'backbone.'" in err
    assert 'conv1.weight' in err and 'patch_embed.projection.weight' in err

    vit = _random_vit(_vit_cfg('aps'))
    extracted = tmp_path / 'vit.pth'  # an extracted backbone file: no embedded config
    torch.save({'state_dict': vit.state_dict(), 'meta': {}}, extracted)
    assert main([str(extracted), str(tmp_path / 'out.pth')]) == 1
    assert 'num_heads' in (err := capsys.readouterr().err) and '--config' in err

    head_norm = tmp_path / 'head_norm.py'  # a config whose backbone has a head norm the weights lack
    Config(dict(model=dict(backbone=dict(_vit_cfg('aps'), out_type='avg_featmap')))).dump(head_norm)
    assert main([str(extracted), str(tmp_path / 'out.pth'), '--config', str(head_norm)]) == 1
    assert "missing ['ln2.weight', 'ln2.bias']" in capsys.readouterr().err

    both = dict(_vit_cfg('avg'), final_norm=True)  # ln1 on the tokens and ln2 on the pooled feature
    text = Config(dict(model=dict(backbone=both))).pretty_text
    state = {f'backbone.{k}': v for k, v in _random_vit(both).state_dict().items()}
    torch.save({'state_dict': state, 'meta': {'cfg': text}}, tmp_path / 'both.pth')
    assert main([str(tmp_path / 'both.pth'), str(tmp_path / 'out.pth')]) == 1
    assert "out_type='avg_featmap' with final_norm=True" in capsys.readouterr().err
    assert not (tmp_path / 'out.pth').exists()
