# ImageNet views for CLSA-Single (maple-research-lab/CLSA README: --nmb_crops 1 1 --size_crops 224 96
# --min_scale_crops 0.2 0.086 --max_scale_crops 1.0 0.429 --pick_weak 0 --pick_strong 1), in the order
# [key, weak 224, strong 96]. Every view: RandomResizedCrop, ColorJitter(.4,.4,.4,.1) p .8, grayscale p .2,
# Gaussian blur sigma U[0.1, 2] p .5, flip; the strong view adds CLSARandAugment(n=5, m=10, p=.5) after the flip.
# The weak-96 and strong-224 crops the official code generates but never uses are not generated.
_base_ = ['./imagenet_bs32_mocov2.py']


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


key_pipeline = _view(224, (0.2, 1.0))
weak_pipelines = [_view(224, (0.2, 1.0))]
strong_pipelines = [_view(96, (0.086, 0.429), strong=True)]
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
