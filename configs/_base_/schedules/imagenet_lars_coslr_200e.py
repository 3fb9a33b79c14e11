# mmpretrain SimCLR ImageNet: LARS 4.8 (batch 4096), wd 1e-6, 10-epoch warm-up, cosine, 200 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=4.8, momentum=0.9, weight_decay=1e-6),
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
    dict(type='CosineAnnealingLR', T_max=190, by_epoch=True, begin=10, end=200),
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=200)
auto_scale_lr = dict(base_batch_size=4096)
