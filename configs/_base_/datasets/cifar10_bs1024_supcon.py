# CIFAR-10 (CIFAR10AnyLayout, release or folder layout, RGB) with SupContrast's TwoCropTransform of
# main_supcon.py: RandomResizedCrop(32, scale (0.2, 1)), horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1)
# with p 0.8, grayscale p 0.2; normalisation mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010).
# PackInputs keeps gt_label, which SupCon needs. Test pipeline and online kNN: those of the SimCLR base.
_base_ = ['./cifar10_bs256_simclr.py']

data_preprocessor = dict(std=[51.5865, 50.847, 51.255])
view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
        prob=0.8,
    ),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.2989, 0.587, 0.114)),
]
train_pipeline = [
    dict(type='LoadImageFromFile', channel_order='rgb'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
# one view with the same augmentation: the train pipeline of the cross-entropy baseline (SupContrast main_ce.py)
ce_train_pipeline = [dict(type='LoadImageFromFile', channel_order='rgb'), *view_pipeline, dict(type='PackInputs')]
train_dataloader = dict(batch_size=1024, num_workers=8, dataset=dict(pipeline=train_pipeline))
