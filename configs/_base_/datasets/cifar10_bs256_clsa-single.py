# CIFAR-10 views for CLSA-Single, in the order [key, weak, strong] (three MultiView groups of one view).
# The key and the weak query use the CIFAR MoCo v2 pipeline (32 px, scale 0.08-1, solo-learn symmetric_weak);
# the strong query is the CIFAR equivalent of the official 96 px crop: 16 px with the scale range scaled by
# size / 32 as the official lists are (224 -> 96: 0.2-1.0 -> 0.086-0.429), then the weak ops, the flip and
# CLSARandAugment(5 ops, magnitude 1..9, p 0.5 each). The unused weak-96 / strong-224 crops of the official
# code are not generated.
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
weak_pipelines = [_view(32, (0.08, 1.0))]
strong_pipelines = [_view(16, (0.04, 0.5), strong=True)]
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
