# ImageNet views for CLSA (maple-research-lab/CLSA Multi_FixTransform.py, ops/argparser.py, README), in the order
# [key, weak_1..L, strong_1..L]. Every view: RandomResizedCrop, ColorJitter(.4,.4,.4,.1) p .8, grayscale p .2,
# Gaussian blur sigma U[0.1, 2] p .5, flip; strong views add CLSARandAugment(n=5, m=10, p=.5) after the flip.
# - clsa_single_pipeline (the default; README: --nmb_crops 1 1 --size_crops 224 96 --min_scale_crops 0.2 0.086
#   --max_scale_crops 1.0 0.429 --pick_weak 0 --pick_strong 1): key 224, weak 224, strong 96; the weak-96 and
#   strong-224 crops the official code generates but never uses are not generated;
# - clsa_multi_pipeline (--pick_weak 0 1 2 3 4 --pick_strong 0 1 2 3 4): key 224, weak and strong at
#   224/192/160/128/96 (set model.num_weak = num_strong = 5).
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


def _pipeline(weak_crops, strong_crops):
    groups = [_view(224, (0.2, 1.0))] + [_view(*c) for c in weak_crops] + [_view(*c, True) for c in strong_crops]
    return [
        dict(type='LoadImageFromFile'),
        dict(type='MultiView', num_views=[1] * len(groups), transforms=groups),
        dict(type='PackInputs'),
    ]


# ops/argparser.py defaults (the README multi-crop setting)
_crops = [(224, (0.2, 1.0)), (192, (0.172, 0.86)), (160, (0.143, 0.715)), (128, (0.114, 0.571)), (96, (0.086, 0.429))]
clsa_single_pipeline = _pipeline(_crops[:1], _crops[-1:])
clsa_multi_pipeline = _pipeline(_crops, _crops)
train_dataloader = dict(dataset=dict(pipeline=clsa_single_pipeline))
