# CIFAR-100 (mmpretrain CIFAR100, python-pickle release under data/cifar100, decoded in memory) with
# SupContrast's CIFAR-100 normalisation, mean (0.5071, 0.4867, 0.4408), std (0.2675, 0.2565, 0.2761), and
# the TwoCropTransform of cifar10_bs1024_supcon.py. Online kNN as for SimCLR.
_base_ = ['./cifar10_bs1024_supcon.py']
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
# mmpretrain's CIFAR100 decodes the pickles to RGB: no channel swap, RGB grayscale weights.
data_preprocessor = dict(mean=[129.3105, 124.1085, 112.404], std=[68.2125, 65.4075, 70.4055], to_rgb=False)
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
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
ce_train_pipeline = [
    dict(type='RandomApply', transforms=view_pipeline, prob=1.0),  # the view pipeline, always applied
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline)
)
knn_bank_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='train', pipeline=test_pipeline)
)
knn_query_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline)
)
# kNN validation (KNNValLoop + KNNMetric, from cifar10_bs256_simclr.py) on the CIFAR-100 splits.
val_dataloader = dict(dataset=dict(bank=knn_bank_dataloader['dataset'], query=knn_query_dataloader['dataset']))
test_dataloader = val_dataloader
