# CIFAR-10 (folder layout, labels from the class folders) with SupContrast's TwoCropTransform of
# main_supcon.py: RandomResizedCrop(32, scale (0.2, 1)), horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1)
# with p 0.8, grayscale p 0.2; normalisation mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010).
# PackInputs keeps gt_label, which SupCon needs. Online kNN as for SimCLR.
dataset_type = 'CIFAR10Folder'
data_root = 'data/cifar10'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[125.307, 122.961, 113.8575], std=[51.5865, 50.847, 51.255], to_rgb=True
)
view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
        prob=0.8,
    ),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
# one view with the same augmentation: the train pipeline of the cross-entropy baseline (SupContrast main_ce.py)
ce_train_pipeline = [dict(type='LoadImageFromFile'), *view_pipeline, dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=1024,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='train', pipeline=train_pipeline),
)
knn_bank_dataloader = dict(
    batch_size=512,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='train', pipeline=test_pipeline),
)
knn_query_dataloader = dict(
    batch_size=512,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='test', pipeline=test_pipeline),
)
custom_hooks = [
    dict(
        type='KNNEvalHook',
        bank_dataloader=knn_bank_dataloader,
        query_dataloader=knn_query_dataloader,
        interval=10,
        k=200,
        temperature=0.1,
    )
]
