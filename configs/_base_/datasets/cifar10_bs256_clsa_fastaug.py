# CIFAR-10 CLSA views made on the model's device (fast augmentation; see cifar10_bs256_simclr_fastaug.py), in the
# order [key, weak_1..L, strong_1..L] of cifar10_bs256_clsa.py: every view crop + jitter .4/.4/.4/.1 p .8,
# grayscale .2, blur .5, flip .5; strong views add BatchCLSARandAugment(5 ops, magnitude 1..9, p .5) after the flip.
# - clsa_single_preprocessor (the default): key 32, weak 32, strong 16;
# - clsa_multi_preprocessor: key 32, weak and strong at 32/28/24/20/16 (set model.num_weak = num_strong = 5).
_base_ = ['./cifar10_bs256_mocov2_fastaug.py']


def _view(size, scale, strong=False):
    ops = [
        dict(type='BatchRandomResizedCrop', size=size, scale=scale),
        dict(type='BatchColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
        dict(type='BatchRandomGrayscale', prob=0.2, rgb_weights=(0.2989, 0.587, 0.114)),
        dict(type='BatchGaussianBlur', sigma_range=(0.1, 2.0), prob=0.5),
        dict(type='BatchRandomFlip', prob=0.5),
    ]
    if strong:
        ops.append(dict(type='BatchCLSARandAugment', num_ops=5, magnitude_max=10, prob=0.5))
    return ops


def _groups(weak_crops, strong_crops):
    groups = [_view(32, (0.08, 1.0))] + [_view(*c) for c in weak_crops] + [_view(*c, True) for c in strong_crops]
    return dict(num_views=[1] * len(groups), view_augments=groups)


_crops = [(32, (0.08, 1.0)), (28, (0.07, 0.875)), (24, (0.06, 0.75)), (20, (0.05, 0.625)), (16, (0.04, 0.5))]
clsa_single_preprocessor = _groups(_crops[:1], _crops[-1:])
clsa_multi_preprocessor = _groups(_crops, _crops)
data_preprocessor = dict(**clsa_single_preprocessor)
