# CIFAR-100 with mmpretrain's own CIFAR100 class (the python-pickle release under data/cifar100; images
# are decoded in memory, so no LoadImageFromFile), SimCLR views as for CIFAR-10: solo-learn
# scripts/pretrain/cifar/augmentations/symmetric.yaml serves both datasets.
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
# solo-learn cifar100 normalisation: mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762) x 255.
# mmpretrain's CIFAR100 decodes the pickles to RGB: no channel swap, RGB grayscale weights.
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418], to_rgb=False
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
train_pipeline = [dict(type='MultiView', num_views=2, transforms=[view_pipeline]), dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
)
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
