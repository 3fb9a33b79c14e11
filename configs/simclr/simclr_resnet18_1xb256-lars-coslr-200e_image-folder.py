# SimCLR, ResNet-18, batch 256, LARS + cosine, 200 epochs, on an unlabelled folder of images:
# every image below data_root (nested folders allowed) is a training sample, through mmpretrain's
# CustomDataset(with_label=False). Point data_root at your folder (docs/custom_data.md):
#   python tools/train.py configs/simclr/simclr_resnet18_1xb256-lars-coslr-200e_image-folder.py \
#       --cfg-options train_dataloader.dataset.data_root=/path/to/images
# Crops are img_size x img_size (the SimCLR view pipeline of the CIFAR recipe at that size; 96 as for STL-10) and
# the backbone is the standard ResNet-18 (7x7 stride-2 stem and max-pool, as torchvision's and timm's resnet18, so
# convert_to_torchvision.py / convert_to_timm.py export it; the CIFAR recipe's 3x3 stem suits 32x32 images only).
# There is no labelled set, so no kNN validation: give val_dataloader a KNNEvalDataset of labelled bank / query sets to monitor one
# (docs/custom_data.md); a KNNValLoop (or KNNEvalHook) over unlabelled data logs one line and reports nothing.
_base_ = ['./simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py']

img_size = 96
data_root = 'data/my_images'
# ImageNet statistics (x 255): a reasonable default for photographs
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True
)
view_pipeline = [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.08, 1.0), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)],
        prob=0.8,
    ),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True, type='mmpretrain.CustomDataset', data_root=data_root, with_label=False, pipeline=train_pipeline
    )
)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True, type='mmpretrain.ResNet', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False
    ),
)
custom_hooks = []
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
train_cfg = dict(max_epochs=200)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=190, by_epoch=True, begin=10, end=200, convert_to_iter_based=True),
]
