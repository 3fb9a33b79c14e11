# solo-learn CIFAR MoCo v2+: SGD lr 0.3 at batch 256, momentum 0.9, wd 1e-4, 10-epoch warm-up, cosine,
# 1000 epochs.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=990, by_epoch=True, begin=10, end=1000, convert_to_iter_based=True),
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=1000, val_interval=10)  # kNN every 10 epochs
auto_scale_lr = dict(base_batch_size=256)
