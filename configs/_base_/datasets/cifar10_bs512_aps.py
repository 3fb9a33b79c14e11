# CIFAR-10 (CIFAR10AnyLayout: the python release or the folder layout, RGB either way; see cifar10_bs256_simclr.py)
# for APS pre-training.
# Views (official augmentation.py, both views alike): RandomResizedCrop(32, scale 0.15-1) that records its crop box,
# horizontal flip, colour jitter (.4, .4, .4, .1) with p=.8, grayscale p=.2; no blur or solarize.
# APSPatchSampler (official asym_patch_sampling.py): 16x16 grid of 2x2 patches, view 1 split into 4 disjoint
# chunks of 64 ids, view 2 sampled per chunk with probability (1 - overlap)^3; flips ignored (flip_aware=False).
dataset_type = 'CIFAR10AnyLayout'
data_root = 'data/cifar10'
# APS normalisation: mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010) x 255.
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[125.307, 122.961, 113.8575], std=[51.5865, 50.847, 51.255], to_rgb=False
)

view_pipeline = [
    dict(type='RandomResizedCropWithBox', scale=32, crop_ratio_range=(0.15, 1.0), backend='pillow'),
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
    dict(type='MultiViewWithKeys', num_views=2, transforms=[view_pipeline], keys=('crop_bbox', 'flip')),
    dict(type='APSPatchSampler', img_size=32, patch_size=2, ratio=0.25, nsampling=4, power=3.0, flip_aware=False),
    dict(type='PackInputs', algorithm_keys=['idx_view1', 'idx_view2']),
]
test_pipeline = [dict(type='LoadImageFromFile', channel_order='rgb'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
)

# Online kNN (k=200, T=0.1) on the cls token: bank = train split, queries = test split.
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
