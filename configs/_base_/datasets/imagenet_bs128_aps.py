# ImageNet-1k (mmpretrain's ImageNet class, data/imagenet/{train,val}) for APS ViT/16 pre-training. The public APS
# code covers CIFAR only: these views are MoCo v3's ImageNet views (mmpretrain mocov3 configs: crop 0.08-1,
# colour jitter .4/.4/.2/.1 p .8, grayscale .2, blur 1.0 / 0.1, solarize 0 / 0.2, flip) with the crop boxes recorded
# [unverified choice]. APSPatchSampler: 14x14 grid of 16x16 patches, 4 disjoint chunks of 49 tokens per view.
dataset_type = 'ImageNet'
data_root = 'data/imagenet/'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True
)

view_pipeline1 = [
    dict(type='RandomResizedCropWithBox', scale=224, crop_ratio_range=(0.08, 1.0), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)],
        prob=0.8,
    ),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.0),
    dict(type='Solarize', thr=128, prob=0.0),
    dict(type='RandomFlip', prob=0.5),
]
view_pipeline2 = [
    dict(type='RandomResizedCropWithBox', scale=224, crop_ratio_range=(0.08, 1.0), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)],
        prob=0.8,
    ),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.1),
    dict(type='Solarize', thr=128, prob=0.2),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiViewWithKeys',
        num_views=[1, 1],
        transforms=[view_pipeline1, view_pipeline2],
        keys=('crop_bbox', 'flip'),
    ),
    dict(type='APSPatchSampler', img_size=224, patch_size=16, ratio=0.25, nsampling=4, power=3.0, flip_aware=False),
    dict(type='PackInputs', algorithm_keys=['idx_view1', 'idx_view2']),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
)
