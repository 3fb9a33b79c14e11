# APS CIFAR pre-training schedule (official config/pretrain + main_pretrain.py): AdamW, betas (0.9, 0.999), weight
# decay 0.05 on every parameter, lr = lr_base x 512 / 256 (lr_base 5e-4 for ViT-S/B; the ViT-T configs set 1e-3),
# epoch-wise LambdaLR min((e + 1) / 20, 0.5 (1 + cos(pi e / 1600))), AMP with a dynamic loss scale, 1600 epochs.
# Each loaded batch takes nsampling = 4 optimiser steps (APS.train_step); the schedule is stepped per epoch.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=5e-4 * 512 / 256, betas=(0.9, 0.999), weight_decay=0.05),
)
param_scheduler = [dict(type='WarmupCosineLambdaLR', warmup=20, total=1600, by_epoch=True, begin=0, end=1600)]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=1600, val_interval=50)  # kNN every 50 epochs
auto_scale_lr = dict(base_batch_size=512)
# SyncBN in the projector and predictor under DDP, as the official code.
sync_bn = 'torch'
