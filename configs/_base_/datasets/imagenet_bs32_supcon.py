# ImageNet-1k with labels (mmpretrain ImageNet, meta/train.txt), two views per image for SupCon:
# RandomResizedCrop 224, flip, then AutoAugment (mmpretrain's 'imagenet' policies), as the official TF
# ImageNet R50 script (augmentation AutoAugment); no colour jitter or blur.
_base_ = ['./imagenet_bs32_mocov2.py']

view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='AutoAugment', policies='imagenet', hparams=dict(pad_val=[104, 116, 124])),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
