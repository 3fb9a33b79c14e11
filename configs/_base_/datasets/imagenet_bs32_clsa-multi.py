# ImageNet views for CLSA-Multi (maple-research-lab/CLSA README: --pick_weak 0 1 2 3 4 --pick_strong 0 1 2 3 4),
# in the order [key 224, weak 224/192/160/128/96, strong 224/192/160/128/96]. Every view: RandomResizedCrop,
# ColorJitter(.4,.4,.4,.1) p .8, grayscale p .2, Gaussian blur sigma U[0.1, 2] p .5, flip; strong views add
# CLSARandAugment(n=5, m=10, p=.5) after the flip.
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
# ops/argparser.py defaults (the README multi-crop setting): sizes 224/192/160/128/96.
_crops = [
    (224, (0.2, 1.0)),
    (192, (0.172, 0.86)),
    (160, (0.143, 0.715)),
    (128, (0.114, 0.571)),
    (96, (0.086, 0.429)),
]
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
