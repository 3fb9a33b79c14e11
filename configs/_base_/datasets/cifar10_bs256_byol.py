# CIFAR-10, two asymmetric BYOL views: solo-learn scripts/pretrain/cifar/augmentations/asymmetric.yaml
# (crop 0.08-1, jitter .4/.4/.2/.1 p .8, grayscale .2, no blur, solarize p 0 / 0.2, flip .5).
_base_ = ['./cifar10_bs256_simclr.py']


def _view(solarize_prob):
    return [
        dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.08, 1.0), backend='pillow'),
        dict(
            type='RandomApply',
            transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)],
            prob=0.8,
        ),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.2989, 0.587, 0.114)),
        dict(type='Solarize', thr=128, prob=solarize_prob),
        dict(type='RandomFlip', prob=0.5),
    ]


train_pipeline = [
    dict(type='LoadImageFromFile', channel_order='rgb'),
    dict(type='MultiView', num_views=[1, 1], transforms=[_view(0.0), _view(0.2)]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
