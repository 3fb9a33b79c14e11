# FNC, ResNet-50, ImageNet-1k, 100 epochs: google-research/fnc README pre-training command (batch 4096 on TPU,
# LARS lr 0.1 x sqrt(4096) = 6.4 with learning_rate_scaling=sqrt, wd 1e-4, temperature 0.1, 10-epoch warm-up +
# cosine, 2 + 8 views at 224 with blur). Here 8 GPUs x 32 by default: set the batch to the one you have and the lr
# to 0.1 x sqrt(global batch) (auto_scale_lr scales linearly, not by the square root: it is off).
_base_ = [
    '../_base_/models/fnc_resnet50.py',
    '../_base_/datasets/imagenet_bs32_simclr.py',
    '../_base_/schedules/imagenet_lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]
_view = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)],
        prob=0.8,
    ),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, magnitude_level=7, total_level=10),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
]
train_dataloader = dict(
    dataset=dict(
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=10, transforms=[_view]),
            dict(type='PackInputs'),
        ]
    )
)
optim_wrapper = dict(optimizer=dict(lr=0.1 * 256**0.5, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=90, by_epoch=True, begin=10, end=100, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=100)
auto_scale_lr = dict(enable=False, base_batch_size=256)
