# CIFAR-10 views for CLSA, in the order [key, weak_1..L, strong_1..L] (MultiView groups of one view each).
# Key and weak crops: the CIFAR MoCo v2 pipeline (solo-learn symmetric_weak: jitter .4/.4/.4/.1 p .8, grayscale
# .2, blur .5, flip); strong crop i: weak crop i + CLSARandAugment(5 ops, magnitude 1..9, p .5) after the flip.
# Crops: the official sizes 224/192/160/128/96 with scale ranges size/224 x (0.2-1.0) become 32/28/24/20/16 with
# size/32 x (0.08-1.0) here (the CIFAR key crop is 32 px, 0.08-1).
# - clsa_single_pipeline (the default): key 32, weak 32, strong 16 (official: key 224, weak 224, strong 96;
#   the official weak-96 / strong-224 crops that are never used are not generated);
# - clsa_multi_pipeline: key 32, weak and strong at all five sizes (set model.num_weak = num_strong = 5).
_base_ = ['./cifar10_bs256_mocov2.py']


def _view(size, scale, strong=False):
    ops = [
        dict(type='RandomResizedCrop', scale=size, crop_ratio_range=scale, backend='pillow'),
        dict(
            type='RandomApply',
            transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
            prob=0.8,
        ),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.2989, 0.587, 0.114)),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
        dict(type='RandomFlip', prob=0.5),
    ]
    if strong:
        ops.append(dict(type='CLSARandAugment', num_ops=5, magnitude_max=10, prob=0.5))
    return ops


def _pipeline(weak_crops, strong_crops):
    groups = [_view(32, (0.08, 1.0))] + [_view(*c) for c in weak_crops] + [_view(*c, True) for c in strong_crops]
    return [
        dict(type='LoadImageFromFile', channel_order='rgb'),
        dict(type='MultiView', num_views=[1] * len(groups), transforms=groups),
        dict(type='PackInputs'),
    ]


_crops = [(32, (0.08, 1.0)), (28, (0.07, 0.875)), (24, (0.06, 0.75)), (20, (0.05, 0.625)), (16, (0.04, 0.5))]
clsa_single_pipeline = _pipeline(_crops[:1], _crops[-1:])
clsa_multi_pipeline = _pipeline(_crops, _crops)
train_dataloader = dict(dataset=dict(pipeline=clsa_single_pipeline))
