# CIFAR-10, two SimCLR views made on the model's device (fast augmentation): the loader sends each 32x32 image
# once (LoadImageFromFile + PackInputs) and BatchAugDataPreprocessor makes both views from it with the batched
# ops, which equal the per-image ops of cifar10_bs256_simclr.py (same distribution, same op order): crop 0.08-1,
# jitter .8/.8/.8/.2 p .8 (per-sample random order), grayscale .2, blur sigma U[0.1, 2] p .5, flip .5.
_base_ = ['./cifar10_bs256_simclr.py']


def _view(jitter):
    return [
        dict(type='BatchRandomResizedCrop', size=32, scale=(0.08, 1.0)),
        dict(type='BatchColorJitter', **jitter, prob=0.8),
        dict(type='BatchRandomGrayscale', prob=0.2, rgb_weights=(0.2989, 0.587, 0.114)),
        dict(type='BatchGaussianBlur', sigma_range=(0.1, 2.0), prob=0.5),
        dict(type='BatchRandomFlip', prob=0.5),
    ]


data_preprocessor = dict(
    type='BatchAugDataPreprocessor',
    num_views=2,
    view_augments=[_view(dict(brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2))],
)
train_pipeline = [dict(type='LoadImageFromFile', channel_order='rgb'), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
