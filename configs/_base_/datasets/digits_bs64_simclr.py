# The embedded default dataset (scikit-learn's handwritten digits, no files needed), two views with
# the CIFAR SimCLR augmentation at 32x32. Used by `make demo` and tools/misc/smoke_run.py.
dataset_type = 'DigitsDataset'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], to_rgb=True
)

view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.08, 1.0), backend='pillow'),
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
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, split='train', img_size=32, pipeline=train_pipeline),
)
knn_bank_dataloader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, split='train', img_size=32, pipeline=test_pipeline),
)
knn_query_dataloader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, split='test', img_size=32, pipeline=test_pipeline),
)
custom_hooks = [
    dict(
        type='KNNEvalHook',
        bank_dataloader=knn_bank_dataloader,
        query_dataloader=knn_query_dataloader,
        interval=1,
        k=200,
        temperature=0.1,
        evaluate_before_train=True,
    )
]
