"""CheckedPretrainedInit (``type='Pretrained'`` in the mmssl_ext scope): loads full checkpoints and extracted
backbone files, reports unexpected keys, and refuses checkpoints that do not fit."""

import logging

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import WEIGHT_INITIALIZERS, DefaultScope
from mmpretrain.models import ResNet

from mmssl_ext.models.utils import CheckedPretrainedInit, PretrainedKeysError


def _resnet(depth=18, seed=0, **kwargs):
    torch.manual_seed(seed)
    return ResNet(depth=depth, **kwargs)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('pretrained')
    source = _resnet(seed=1)
    backbone = source.state_dict()
    full = {f'backbone.{k}': v for k, v in backbone.items()}
    full['neck.mlp.0.weight'] = torch.randn(4, 512)
    paths = dict(full=root / 'full.pth', backbone=root / 'backbone.pth', ddp=root / 'ddp.pth')
    torch.save({'state_dict': full, 'meta': {}}, paths['full'])
    torch.save({'state_dict': backbone}, paths['backbone'])
    torch.save({'state_dict': {f'module.{k}': v for k, v in full.items()}}, paths['ddp'])
    return {k: str(v) for k, v in paths.items()}, backbone


def _assert_loaded(model, expected):
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key


@pytest.mark.parametrize('kind', ['full', 'backbone', 'ddp'])
def test_loads_full_checkpoints_and_extracted_backbones(files, kind):
    paths, expected = files
    model = _resnet(seed=2)
    assert not torch.equal(model.conv1.weight, expected['conv1.weight'])
    CheckedPretrainedInit(checkpoint=paths[kind], prefix='backbone.')(model)
    _assert_loaded(model, expected)


def test_pretrained_type_is_the_checked_loader_in_our_scope():
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        assert isinstance(WEIGHT_INITIALIZERS.build(dict(type='Pretrained', checkpoint='x')), CheckedPretrainedInit)
        plain = WEIGHT_INITIALIZERS.build(dict(type='mmengine.Pretrained', checkpoint='x'))
    assert type(plain).__name__ == 'PretrainedInit'


def test_init_cfg_of_a_backbone_goes_through_it(files):
    paths, expected = files
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        model = _resnet(seed=3, init_cfg=dict(type='Pretrained', checkpoint=paths['full'], prefix='backbone.'))
        model.init_weights()
    _assert_loaded(model, expected)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_unexpected_keys_are_reported(files):
    paths, _ = files
    logger, handler = MMLogger.get_current_instance(), _Collect()
    logger.addHandler(handler)
    try:
        # 2 stages: the checkpoint's layer3 / layer4 are unexpected (as res5 for a C4 backbone)
        two_stages = _resnet(num_stages=2, strides=(1, 2), dilations=(1, 1), out_indices=(1,))
        CheckedPretrainedInit(checkpoint=paths['full'], prefix='backbone.')(two_stages)
    finally:
        logger.removeHandler(handler)
    text = ' '.join(handler.messages)
    assert 'unexpected (ignored): layer3.0.conv1.weight' in text
    assert 'into ResNet' in text


def test_missing_keys_fail_and_are_listed(files):
    paths, _ = files
    with pytest.raises(PretrainedKeysError, match=r'lacks 100 of the 100 tensors of ResNet: conv1.weight, bn1.weight'):
        CheckedPretrainedInit(checkpoint=paths['full'], prefix='neck.mlp.')(_resnet())  # keys exist, none fit
    # allow_missing patterns are accepted (layers that transfer adds)
    bigger = torch.nn.Module()
    bigger.body = _resnet(seed=4)
    bigger.extra = torch.nn.BatchNorm2d(4)
    state = {f'body.{k}': v for k, v in files[1].items()}
    with pytest.raises(PretrainedKeysError, match='extra.weight'):
        _load_bare(bigger, state, allow_missing=())
    _load_bare(bigger, state, allow_missing=['extra.*'])
    _assert_loaded(bigger.body, files[1])


def _load_bare(module, state, allow_missing):
    import tempfile

    with tempfile.NamedTemporaryFile(suffix='.pth') as f:
        torch.save(state, f.name)
        CheckedPretrainedInit(checkpoint=f.name, allow_missing=allow_missing)(module)


def test_shape_mismatch_fails_with_the_keys(files):
    paths, _ = files
    with pytest.raises(PretrainedKeysError, match=r'size mismatch for layer1\.0\.conv1\.weight'):
        CheckedPretrainedInit(checkpoint=paths['full'], prefix='backbone.')(_resnet(depth=50))


def test_no_matching_prefix_and_no_fitting_key_fails(files):
    paths, _ = files
    with pytest.raises(PretrainedKeysError, match="no key starts with prefix 'encoder.' and none matches"):
        CheckedPretrainedInit(checkpoint=paths['full'], prefix='encoder.')(_resnet())


def test_empty_checkpoint_placeholder_is_a_clear_error():
    with pytest.raises(ValueError, match='needs `checkpoint`'):
        CheckedPretrainedInit(checkpoint='', prefix='backbone.')
