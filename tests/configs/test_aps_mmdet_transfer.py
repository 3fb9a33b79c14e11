"""The APS ViT transfer config for mmdet: the detector builds from the config, loads an APS checkpoint's backbone
(the position embedding interpolated to the input grid), produces a stride 4-64 pyramid, trains one step on a
synthetic COCO-style sample and builds its layer-decay optimiser."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.utils import import_modules_from_strings

from tests.helpers import ROOT

CONFIG = 'configs/benchmarks/mmdetection/coco/mask-rcnn_vit-small-p16-sfp_8xb2-amp-1x_coco.py'


@pytest.fixture(scope='module')
def cfg(request):
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    import_modules_from_strings(**cfg.custom_imports)
    return cfg


@pytest.fixture(scope='module')
def aps_checkpoint(tmp_path_factory):
    """A full mmssl_ext-style checkpoint: an APS ViT-S/16 backbone plus projector keys that must be ignored."""
    from mmssl_ext.registry import MODELS

    torch.manual_seed(3)
    backbone = MODELS.build(
        dict(type='APSViT', arch='deit-small', img_size=224, patch_size=16, qkv_bias=False, cls_pos_embed=False)
    )
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    state['neck.mlp.0.weight'] = torch.randn(8, 384)
    path = tmp_path_factory.mktemp('aps_ckpt') / 'aps_vit-small.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    return str(path), backbone.state_dict()


def _detector(cfg, checkpoint=None):
    from mmdet.registry import MODELS

    model_cfg = cfg.model.copy()
    model_cfg.backbone = dict(model_cfg.backbone, drop_path_rate=0.0)
    model_cfg.backbone.init_cfg = (
        None if checkpoint is None else dict(model_cfg.backbone.init_cfg, checkpoint=checkpoint)
    )
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):  # the scope of mmdet configs, restored afterwards
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model


def test_backbone_loads_the_aps_weights(cfg, aps_checkpoint):
    path, expected = aps_checkpoint
    model = _detector(cfg, path)
    loaded = model.backbone.state_dict()
    assert loaded.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key


def test_pyramid_strides_and_one_training_step(cfg):
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData

    model = _detector(cfg)
    model.train()
    feats = model.extract_feat(torch.randn(1, 3, 128, 160))
    assert [tuple(f.shape[-2:]) for f in feats] == [(32, 40), (16, 20), (8, 10), (4, 5), (2, 3)]

    sample = DetDataSample(metainfo=dict(img_shape=(128, 160), pad_shape=(128, 160), ori_shape=(128, 160)))
    masks = torch.zeros(2, 128, 160, dtype=torch.uint8)
    masks[0, 20:70, 30:90] = 1
    masks[1, 60:120, 80:150] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[30.0, 20.0, 90.0, 70.0], [80.0, 60.0, 150.0, 120.0]]),
        labels=torch.tensor([0, 3]),
        masks=BitmapMasks(masks.numpy(), 128, 160),
    )
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 128, 160), dtype=torch.uint8)], data_samples=[sample]), True
    )
    losses = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'):
        assert key in losses
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    assert model.neck.stages[0][0].weight.grad.abs().sum() > 0


def test_default_scope_is_left_as_it_was(cfg):
    before = DefaultScope.get_current_instance()
    _detector(cfg)
    after = DefaultScope.get_current_instance()
    assert (before and before.scope_name) == (after and after.scope_name)


def test_layer_decay_optimiser_builds(cfg):
    from mmengine.optim import build_optim_wrapper

    model = _detector(cfg)
    wrapper_cfg = cfg.optim_wrapper.copy()
    wrapper_cfg.type = 'OptimWrapper'  # AMP needs a GPU
    wrapper_cfg.pop('loss_scale')
    with DefaultScope.overwrite_default_scope('mmdet'):
        wrapper = build_optim_wrapper(model, wrapper_cfg)
    scales = {g['lr'] / 1e-4 for g in wrapper.optimizer.param_groups}
    assert max(scales) == pytest.approx(1.0)
    assert min(scales) == pytest.approx(0.7**13, rel=1e-6)  # patch embedding: 12 blocks + 1 below the top
    decays = {g['weight_decay'] for g in wrapper.optimizer.param_groups}
    assert decays == {0.0, 0.1}
