# ImageNet-1k, SimCLR views with fast augmentation: the workers decode, crop (RandomResizedCrop 224, sources of
# any size) and flip each of the two views; BatchAugDataPreprocessor runs the rest of imagenet_bs32_simclr.py's
# view pipeline on the model's device: jitter .8/.8/.8/.2 p .8 (per-sample random order), grayscale .2, blur .5.
_base_ = ['./imagenet_bs32_simclr.py']

view_pipeline = [dict(type='RandomResizedCrop', scale=224, backend='pillow'), dict(type='RandomFlip', prob=0.5)]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
data_preprocessor = dict(
    type='BatchAugDataPreprocessor',
    num_views=2,
    view_augments=[
        [
            dict(type='BatchColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, prob=0.8),
            dict(type='BatchRandomGrayscale', prob=0.2, rgb_weights=(0.2989, 0.587, 0.114)),
            dict(type='BatchGaussianBlur', sigma_range=(0.1, 2.0), prob=0.5),
        ]
    ],
)
