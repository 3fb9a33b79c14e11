# The all-token baseline of the APS CPU-budget comparison: the same ViT-T/2, projector, predictor, loss (MoCo v3
# with m = 0, the APS objective), optimiser, schedule and seed as aps_vit-tiny-p2_1xb64-coslr-120iter_cifar10.py,
# but plain random-crop views with every token (no patch sampler) and one optimiser step per loaded batch.
_base_ = ['./aps_vit-tiny-p2_1xb64-coslr-120iter_cifar10.py']

view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.15, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
        prob=0.8,
    ),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
]
train_dataloader = dict(
    dataset=dict(
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
            dict(type='PackInputs'),
        ]
    )
)
