# Linear probe on CIFAR-10 for a ResNet-18 (CIFAR stem) pre-trained by any mmssl_ext method:
# frozen backbone (all 4 stages, BN in eval mode), global-average-pooled 512-d features, one linear
# layer. SGD lr 0.1 (batch 256), momentum 0.9, wd 0, cosine, 100 epochs.
# Usage: python tools/train.py THIS_CONFIG --cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN.pth
# (a full mmssl_ext checkpoint: prefix='backbone.' picks the backbone weights).
_base_ = ['../../../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.'),
    ),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=512, loss=dict(type='CrossEntropyLoss'), topk=(1, 5)),
)
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[62.993, 62.089, 66.705],
    to_rgb=False,
)
train_pipeline = [
    dict(type='LoadImageFromFile', channel_order='rgb'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.08, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile', channel_order='rgb'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='CIFAR10AnyLayout', data_root='data/cifar10', split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='CIFAR10AnyLayout', data_root='data/cifar10', split='test', pipeline=test_pipeline),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='auto'))
