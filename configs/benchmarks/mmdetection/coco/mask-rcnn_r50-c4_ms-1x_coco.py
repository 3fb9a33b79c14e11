# COCO transfer of a ResNet-50 pre-trained with mmssl_ext: mmdet's Mask R-CNN R50-C4 1x with the self-supervised
# benchmark changes of mmselfsup / mmpretrain (configs/byol/benchmarks/mask-rcnn_r50-c4_ms-1x_coco.py): pytorch-style
# ResNet and RGB ImageNet normalisation (instead of caffe), SyncBN everywhere, nothing frozen, norm_eval=False,
# res5 in the RoI head followed by an extra BN (ResLayerExtraNorm, as MoCo's detectron2 C4 config), short side
# 640-800 multi-scale training, 12 epochs.
# Stages 1-3 load into the backbone and res5 into roi_head.shared_head, both from the same checkpoint (prefix
# 'backbone.'; the extra BN is new: allow_missing). Key checks as in mask-rcnn_r50_fpn_ms-1x_coco.py; the tools set
# both checkpoints:
#   bash tools/benchmarks/mmdetection/dist_train.sh THIS_CONFIG PRETRAIN.pth 8 [--data-root data/coco/]
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50-caffe-c4_1x_coco.py'
custom_imports = dict(
    imports=['mmpretrain.models.utils.res_layer_extra_norm', 'mmssl_ext.integrations.mmdet'],
    allow_failed_imports=False,
)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32,
    ),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.'),
    ),
    roi_head=dict(
        shared_head=dict(
            type='ResLayerExtraNorm',
            norm_cfg=norm_cfg,
            norm_eval=False,
            style='pytorch',
            init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.', allow_missing=['norm.*']),
        )
    ),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(640, 801, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
auto_scale_lr = dict(enable=False, base_batch_size=16)
