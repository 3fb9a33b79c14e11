# COCO transfer of a ResNet-50 pre-trained with mmssl_ext: mmdet's Mask R-CNN R50-FPN 1x with the self-supervised
# benchmark changes of mmselfsup / mmpretrain (configs/byol/benchmarks/mask-rcnn_r50_fpn_ms-1x_coco.py): SyncBN in
# the backbone, FPN and heads (4conv1fc box head), nothing frozen, BN statistics trained (norm_eval=False), short
# side 640-800 multi-scale training, 12 epochs, SGD lr 0.02 for 16 images (8 GPUs x 2).
# The backbone loads the `backbone.*` weights of a full mmssl_ext checkpoint or an extracted backbone file, with
# key checks (mmssl_ext.models.utils.CheckedPretrainedInit: missing keys or shape mismatches are an error).
# One command (trains, then tests: coco/bbox_mAP, coco/segm_mAP):
#   bash tools/benchmarks/mmdetection/dist_train.sh THIS_CONFIG PRETRAIN.pth 8 [--data-root data/coco/]
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmssl_ext.integrations.mmdet'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.'),
    ),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg),
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
auto_scale_lr = dict(enable=False, base_batch_size=16)
