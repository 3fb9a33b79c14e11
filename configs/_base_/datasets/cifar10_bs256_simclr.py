# CIFAR-10 under data/cifar10, two SimCLR views. CIFAR10AnyLayout is mmpretrain's CIFAR10 on the standard python
# release (data/cifar10/cifar-10-batches-py, downloaded when missing) and also reads the folder layout
# data/cifar10/{train,test}/<class>/*.jpg (tools/dataset_converters/prepare_cifar10.py); layout='auto' picks what is
# on disk (docs/getting_started.md). Both give RGB: the loader decodes files as RGB and passes the release's
# in-memory images through, so to_rgb=False and RGB grayscale weights.
# Augmentation: solo-learn scripts/pretrain/cifar/augmentations/symmetric.yaml
# (crop 0.08-1, jitter .8/.8/.8/.2 p=.8, grayscale .2, blur .5, flip .5).
dataset_type = 'CIFAR10AnyLayout'
data_root = 'data/cifar10'
# Normalisation: solo-learn cifar mean (0.4914, 0.4822, 0.4465), std (0.247, 0.2435, 0.2616) x 255.
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[125.307, 122.961, 113.8575], std=[62.993, 62.089, 66.705], to_rgb=False
)

view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.08, 1.0), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)],
        prob=0.8,
    ),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.2989, 0.587, 0.114)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile', channel_order='rgb'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile', channel_order='rgb'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
)

# Online kNN (k=200, T=0.1, lightly's CIFAR-10 protocol): bank = train split, queries = test split.
knn_bank_dataloader = dict(
    batch_size=512,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=test_pipeline),
)
knn_query_dataloader = dict(
    batch_size=512,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
)
# kNN as validation (mmengine's val / test loops): the bank and the queries in one KNNEvalDataset, KNNMetric
# votes the queries against the bank; `knn/top1` is logged, saved as the best checkpoint (default_runtime's
# save_best='auto') and reported by tools/test.py CONFIG CHECKPOINT. The schedules set val_interval.
val_dataloader = dict(
    batch_size=512,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='KNNEvalDataset', bank=knn_bank_dataloader['dataset'], query=knn_query_dataloader['dataset']),
)
val_evaluator = dict(type='KNNMetric', k=200, temperature=0.1)
val_cfg = dict(type='KNNValLoop')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
test_cfg = dict(type='KNNTestLoop')
