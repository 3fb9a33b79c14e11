# CIFAR-10, two MoCo v2 views made on the model's device (fast augmentation; see cifar10_bs256_simclr_fastaug.py):
# the ops of cifar10_bs256_mocov2.py batched: crop 0.08-1, jitter .4/.4/.4/.1 p .8, grayscale .2, blur .5, flip .5.
_base_ = ['./cifar10_bs256_simclr_fastaug.py']

mocov2_view_augments = [
    dict(type='BatchRandomResizedCrop', size=32, scale=(0.08, 1.0)),
    dict(type='BatchColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
    dict(type='BatchRandomGrayscale', prob=0.2, rgb_weights=(0.2989, 0.587, 0.114)),
    dict(type='BatchGaussianBlur', sigma_range=(0.1, 2.0), prob=0.5),
    dict(type='BatchRandomFlip', prob=0.5),
]
data_preprocessor = dict(view_augments=[mocov2_view_augments])
