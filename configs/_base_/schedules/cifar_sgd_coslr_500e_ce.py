# SupContrast main_ce.py, CIFAR: SGD lr 0.8 (batch 1024), momentum 0.9, wd 1e-4, 500 epochs, cosine by epoch
# down to lr * 0.1^3 with a 10-epoch linear warm-up by iteration from 0.01 (--warm, batch > 256).
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.8, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.0125, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=500, eta_min=8e-4, by_epoch=True, begin=0, end=500),
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=500, val_interval=10)
auto_scale_lr = dict(base_batch_size=1024)
