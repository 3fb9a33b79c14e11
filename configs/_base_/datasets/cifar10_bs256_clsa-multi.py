# CIFAR-10 views for CLSA-Multi, in the order [key, weak_1..5, strong_1..5] (eleven MultiView groups of one
# view). Key: the CIFAR MoCo v2 pipeline (32 px, scale 0.08-1). Weak crop i: the same pipeline at size i with
# the official scale range scaled by size / 32; strong crop i: weak crop i + CLSARandAugment after the flip.
_base_ = ['./cifar10_bs256_mocov2.py']


def _view(size, scale, strong=False):
    ops = [
        dict(type='RandomResizedCrop', scale=size, crop_ratio_range=scale, backend='pillow'),
        dict(
            type='RandomApply',
            transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
            prob=0.8,
        ),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
        dict(type='RandomFlip', prob=0.5),
    ]
    if strong:
        ops.append(dict(type='CLSARandAugment', num_ops=5, magnitude_max=10, prob=0.5))
    return ops


key_pipeline = _view(32, (0.08, 1.0))
# Official sizes 224/192/160/128/96 with scale ranges size/224 x (0.2-1.0) become 32/28/24/20/16 with
# size/32 x (0.08-1.0) here; CLSA-Multi picks all five weak and all five strong crops.
_crops = [(32, (0.08, 1.0)), (28, (0.07, 0.875)), (24, (0.06, 0.75)), (20, (0.05, 0.625)), (16, (0.04, 0.5))]
weak_pipelines = [_view(size, scale) for size, scale in _crops]
strong_pipelines = [_view(size, scale, strong=True) for size, scale in _crops]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1] * (1 + len(weak_pipelines) + len(strong_pipelines)),
        transforms=[key_pipeline, *weak_pipelines, *strong_pipelines],
    ),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
