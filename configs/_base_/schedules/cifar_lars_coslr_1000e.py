# solo-learn CIFAR SimCLR: LARS lr 0.4 at batch 256, momentum 0.9, wd 1e-4, eta 0.02, BN and bias
# excluded from wd and LARS adaptation, 10-epoch linear warm-up then cosine, 1000 epochs.
# (solo-learn also clips the LARS ratio, clip_lr=True; mmpretrain's LARS has no such option.)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=0.4, momentum=0.9, weight_decay=1e-4, eta=0.02),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }
    ),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=990, by_epoch=True, begin=10, end=1000, convert_to_iter_based=True),
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=1000, val_interval=10)  # kNN every 10 epochs
auto_scale_lr = dict(base_batch_size=256)
