# Fine-tuning of an APS ViT-T/2 (../../../aps/aps_vit-tiny-p2_1xb512-amp-coslr-1600e_cifar10.py) on CIFAR-10: the
# official config/finetune + main_finetune.py recipe. All 256 tokens, the pre-trained backbone (the projector and
# predictor are dropped: prefix='backbone.'), a linear classifier on the cls token. Batch 128, 100 epochs, AdamW
# lr 2e-3 x 128 / 512 (ViT-S 1e-3, ViT-B 5e-4, same scaling), wd 0.05 (none on norms, biases and other 1-d
# parameters, as timm's optimizer factory), 5 linear warm-up epochs from 1e-6 then cosine to 1e-5 (epoch-wise);
# RandomCrop(32, padding 4) + flip + RandAugment rand-m9-mstd0.5-inc1 + random erasing 0.25, ImageNet
# normalisation; Mixup 0.8 / CutMix 1.0 (one per batch, 50/50) with label smoothing 0.1; model EMA 0.99996.
# Usage: python tools/train.py THIS_CONFIG --cfg-options model.backbone.init_cfg.checkpoint=APS_PRETRAIN.pth
_base_ = ['../../../_base_/default_runtime.py']

num_classes = 10
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='APSViT',
        arch='deit-tiny',
        img_size=32,
        patch_size=2,
        qkv_bias=False,
        drop_path_rate=0.0,
        final_norm=True,
        out_type='cls_token',
        cls_pos_embed=False,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.'),
    ),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=192,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original', loss_weight=1.0),
        topk=(1, 5),
    ),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]),
)
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False,
)
rgb_mean = data_preprocessor['mean']  # fills in the images' (RGB) order
rgb_std = data_preprocessor['std']
augment_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[round(x) for x in rgb_mean], interpolation='bicubic'),
    ),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=rgb_mean,
        fill_std=rgb_std,
    ),
]
train_pipeline = [dict(type='LoadImageFromFile', channel_order='rgb'), *augment_pipeline, dict(type='PackInputs')]
# The same pipeline for datasets decoded in memory (mmpretrain's CIFAR100): no LoadImageFromFile.
decoded_train_pipeline = [*augment_pipeline, dict(type='PackInputs')]
test_pipeline = [dict(type='LoadImageFromFile', channel_order='rgb'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='CIFAR10AnyLayout', data_root='data/cifar10', split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=192,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='CIFAR10AnyLayout', data_root='data/cifar10', split='test', pipeline=test_pipeline),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

lr = 2e-3 * 128 / 512
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.05),
    # No weight decay on norms, biases, other 1-d parameters, the position embedding and the cls token
    # (timm's optimizer factory exempts pos_embed and cls_token by name; they are 3-d here).
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.0), 'cls_token': dict(decay_mult=0.0)},
    ),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=1e-5, by_epoch=True, begin=5, end=100),
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=100, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
custom_hooks = [dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL')]  # MMEngine convention: 1 - 0.99996
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='auto'))
