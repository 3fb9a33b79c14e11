# SupContrast main_supcon.py, CIFAR: SGD lr 0.5 (batch 1024), momentum 0.9, wd 1e-4, 1000 epochs; cosine
# by epoch down to lr * 0.1^3 (epoch-wise steps, as adjust_learning_rate), and a 10-epoch linear warm-up
# by iteration from 0.01 (their --warm, on for batch > 256), chained with the cosine.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.02, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=1000, eta_min=5e-4, by_epoch=True, begin=0, end=1000),
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=1000, val_interval=10)  # kNN every 10 epochs
auto_scale_lr = dict(base_batch_size=1024)
