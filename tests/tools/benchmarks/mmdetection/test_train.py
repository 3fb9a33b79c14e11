"""COCO transfer through mmdet (tools/benchmarks/mmdetection): Mask R-CNN R50-FPN from a 2-iteration SimCLR
checkpoint trains 2 iterations on real coco_tiny images and reports COCO bbox / segm mAP, with the backbone equal
to the pre-trained one before step 1; the C4 config loads res5 into the RoI head; mismatched checkpoints fail."""

import glob
import json
import os.path as osp
import subprocess

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS, DefaultScope
from mmengine.runner import Runner
from mmengine.utils import import_modules_from_strings

from tests.helpers import ROOT, SHARED_DATA, smoke_cfg

COCO = osp.join(SHARED_DATA, 'coco_tiny')
FPN = osp.join(ROOT, 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py')
C4 = osp.join(ROOT, 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py')
SIMCLR_R50 = 'simclr/simclr_resnet50_16xb256-lars-coslr-200e_in1k.py'
needs_coco = pytest.mark.skipif(
    not osp.isfile(osp.join(COCO, 'annotations', 'instances_val2017.json')), reason='../shared/data/coco_tiny missing'
)
RECORD = {}


class _RecordBackbone(Hook):
    """Keeps the detector's backbone weights before the first step and after training (test only)."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if batch_idx == 0 and 'before' not in RECORD:
            RECORD['before'] = {k: v.detach().clone() for k, v in runner.model.backbone.state_dict().items()}

    def after_train(self, runner):
        RECORD['after'] = {k: v.detach().clone() for k, v in runner.model.backbone.state_dict().items()}


HOOKS.register_module(name='_TestRecordBackboneHook', module=_RecordBackbone, force=True)


@pytest.fixture(autouse=True)
def _keep_default_scope():
    """A Runner of an mmdet config makes 'mmdet' the current default scope: restore the suite's afterwards."""
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = before


@pytest.fixture(scope='module')
def simclr_checkpoint(tmp_path_factory):
    """A full checkpoint of a 2-iteration SimCLR ResNet-50 run (embedded digits), and its backbone weights."""
    work = tmp_path_factory.mktemp('simclr_r50')
    runner = Runner.from_cfg(smoke_cfg(SIMCLR_R50, work, img_size=32, knn=False))
    runner.train()
    backbone = {k: v.detach().clone() for k, v in runner.model.backbone.state_dict().items()}
    return glob.glob(str(work / 'epoch_1.pth'))[0], backbone


def _loader_options():
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.indices=4', f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return opts


@needs_coco
def test_transfer_trains_on_coco_tiny_and_reports_bbox_and_segm_map(simclr_checkpoint, tmp_path):
    from tools.benchmarks.mmdetection.train import build_transfer_config, parse_args, run_transfer

    ckpt, pretrained = simclr_checkpoint
    args = parse_args(
        [FPN, ckpt, '--data-root', COCO, '--img-scale', '320', '192', '--work-dir', str(tmp_path), '--cfg-options']
        + _loader_options()
        + ['train_cfg.max_epochs=1', 'model.test_cfg.rcnn.score_thr=0.0']  # 4 images / batch 2 = 2 iterations
    )
    cfg = build_transfer_config(args)
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.')
    assert cfg.val_evaluator.ann_file == osp.join(COCO, 'annotations/instances_val2017.json')
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(type='_TestRecordBackboneHook')]
    RECORD.clear()
    metrics = run_transfer(cfg)
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP', 'coco/segm_mAP_50'):
        assert key in metrics and 0.0 <= metrics[key] <= 1.0, (key, metrics)
    with open(tmp_path / 'transfer_metrics.json') as f:
        assert json.load(f)['metrics'] == metrics
    # the detector's backbone is the pre-trained one before step 1 (weights and BN statistics) ...
    assert RECORD['before'].keys() == pretrained.keys()
    for key, value in pretrained.items():
        assert torch.equal(RECORD['before'][key], value), key
    # ... and is fine-tuned (frozen_stages=-1): two SGD steps moved it
    assert not torch.equal(RECORD['after']['layer4.2.conv3.weight'], pretrained['layer4.2.conv3.weight'])


def _build_detector(config, checkpoint, **model_overrides):
    from mmdet.registry import MODELS

    from tools.benchmarks.mmdetection.train import set_pretrained

    cfg = Config.fromfile(config)
    import_modules_from_strings(**cfg.custom_imports)
    set_pretrained(cfg, checkpoint)
    for key, value in model_overrides.items():
        node = cfg.model
        *parents, last = key.split('.')
        for p in parents:
            node = node[p]
        node[last] = value
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    return model


def test_c4_loads_stages_1_3_into_the_backbone_and_res5_into_the_roi_head(simclr_checkpoint):
    ckpt, pretrained = simclr_checkpoint
    model = _build_detector(C4, ckpt, **{'train_cfg.rcnn.sampler.num': 16, 'train_cfg.rpn_proposal.max_per_img': 64})
    backbone = model.backbone.state_dict()
    assert not any(k.startswith('layer4.') for k in backbone)
    for key, value in backbone.items():
        assert torch.equal(value, pretrained[key]), key
    head = model.roi_head.shared_head.state_dict()
    for key, value in head.items():
        if key.startswith('norm.'):
            continue
        assert torch.equal(value, pretrained[key]), key
    assert torch.equal(head['norm.weight'], torch.ones(2048))  # the extra BN is new (allow_missing)

    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData

    model.train()
    sample = DetDataSample(metainfo=dict(img_shape=(96, 128), pad_shape=(96, 128), ori_shape=(96, 128)))
    masks = torch.zeros(1, 96, 128, dtype=torch.uint8)
    masks[0, 20:70, 30:90] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[30.0, 20.0, 90.0, 70.0]]),
        labels=torch.tensor([3]),
        masks=BitmapMasks(masks.numpy(), 96, 128),
    )
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 96, 128), dtype=torch.uint8)], data_samples=[sample]), True
    )
    total, _ = model.parse_losses(model.loss(data['inputs'], data['data_samples']))
    assert torch.isfinite(total)
    total.backward()
    assert model.roi_head.shared_head.layer4[0].conv1.weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0  # frozen_stages=-1


def test_a_checkpoint_of_another_architecture_fails_listing_the_keys(tmp_path):
    from mmpretrain.models import ResNet

    from mmssl_ext.models.utils import PretrainedKeysError

    r18 = tmp_path / 'r18.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in ResNet(depth=18).state_dict().items()}}, r18)
    with pytest.raises(PretrainedKeysError, match=r'size mismatch for layer1\.0\.conv1\.weight'):
        _build_detector(FPN, str(r18))


def test_random_baseline_and_missing_file(tmp_path):
    from tools.benchmarks.mmdetection.train import set_pretrained

    cfg = Config.fromfile(C4)
    assert set_pretrained(cfg, 'random') == ['model.backbone.init_cfg', 'model.roi_head.shared_head.init_cfg']
    assert cfg.model.backbone.init_cfg is None and cfg.model.roi_head.shared_head.init_cfg is None
    with pytest.raises(FileNotFoundError, match='no_such.pth'):
        set_pretrained(Config.fromfile(FPN), str(tmp_path / 'no_such.pth'))


def test_data_root_and_img_scale_reach_every_loader_and_evaluator():
    from tools.benchmarks.mmdetection.train import set_data_root, set_img_scale

    cfg = Config.fromfile(FPN)
    set_data_root(cfg, '/data/coco_tiny')
    set_img_scale(cfg, (320, 192))
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].dataset.data_root == '/data/coco_tiny/'
    for name in ('val_evaluator', 'test_evaluator'):
        assert cfg[name].ann_file == '/data/coco_tiny/annotations/instances_val2017.json'
    assert cfg.train_dataloader.dataset.pipeline[2].scales == [(320, 192)]
    assert cfg.test_dataloader.dataset.pipeline[1].scale == (320, 192)


def test_the_default_scope_is_restored_after_a_transfer_test():
    current = DefaultScope.get_current_instance()
    assert current is not None and current.scope_name == 'mmssl_ext'


def test_dist_train_sh_explains_its_usage():
    proc = subprocess.run(
        ['bash', osp.join(ROOT, 'tools/benchmarks/mmdetection/dist_train.sh'), FPN], capture_output=True, text=True
    )
    assert proc.returncode == 2 and 'usage:' in proc.stderr and 'PRETRAIN NGPUS' in proc.stderr


def test_vit_config_through_the_tool_points_its_init_and_trains_fp32_without_cuda(tmp_path):
    from tools.benchmarks.mmdetection.train import build_transfer_config, parse_args

    vit = osp.join(ROOT, 'configs/benchmarks/mmdetection/coco/mask-rcnn_vit-small-p16-sfp_8xb2-amp-1x_coco.py')
    ckpt = tmp_path / 'aps.pth'
    torch.save({'state_dict': {}}, ckpt)
    cfg = build_transfer_config(parse_args([vit, str(ckpt), '--work-dir', str(tmp_path / 'w'), '--amp']))
    assert cfg.model.backbone.init_cfg.checkpoint == str(ckpt)
    assert cfg.optim_wrapper.type == ('AmpOptimWrapper' if torch.cuda.is_available() else 'OptimWrapper')
    assert cfg.optim_wrapper.constructor == 'BackboneLayerDecayOptimWrapperConstructor'
