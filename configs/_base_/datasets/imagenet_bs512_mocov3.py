# ImageNet, the two asymmetric MoCo v3 views: mmpretrain configs/_base_/datasets/imagenet_bs512_mocov3.py
# (crop 0.2-1, jitter .4/.4/.2/.1 p .8, grayscale .2, blur p 1 / 0.1, solarize p 0 / 0.2, flip), batch 512 per GPU.
_base_ = ['./imagenet_bs32_byol.py']


def _view(blur_prob, solarize_prob):
    return [
        dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0), backend='pillow'),
        dict(
            type='RandomApply',
            transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)],
            prob=0.8,
        ),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=blur_prob),
        dict(type='Solarize', thr=128, prob=solarize_prob),
        dict(type='RandomFlip', prob=0.5),
    ]


train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[_view(1.0, 0.0), _view(0.1, 0.2)]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=512, dataset=dict(pipeline=train_pipeline))
