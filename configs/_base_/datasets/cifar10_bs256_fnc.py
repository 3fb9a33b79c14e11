# CIFAR-10, FNC's 2 + 8 views: google-research/fnc data_util.preprocess_for_train_instance_randaugment at CIFAR size
# (crop 0.08-1, flip, colour jitter strength 1.0 without grayscale p .8, RandAugment 2 ops at magnitude 7 of 10,
# then grayscale p .2; no blur, as SimCLR's CIFAR setting). RandAugment is mmpretrain's timm_increasing set, not the
# TF autoaugment op set of the official code.
_base_ = ['./cifar10_bs256_simclr.py']

view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.08, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)],
        prob=0.8,
    ),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, magnitude_level=7, total_level=10),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.2989, 0.587, 0.114)),
]
train_pipeline = [
    dict(type='LoadImageFromFile', channel_order='rgb'),
    dict(type='MultiView', num_views=10, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
