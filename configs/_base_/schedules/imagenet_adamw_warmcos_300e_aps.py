# APS ImageNet pre-training schedule, 300 epochs (README@159887e). The public code has no ImageNet recipe: the
# optimiser is MoCo v3's ViT recipe (AdamW lr 1.5e-4 x 4096 / 256, torch's default betas (0.9, 0.999) as in
# MoCo v3's main_moco.py, wd 0.1, 40 warm-up epochs; (0.9, 0.95) would be MAE's)
# with APS's epoch-wise min(warm-up, cosine) schedule [unverified choice], AMP, SyncBN in the heads under DDP;
# 4 optimiser steps per loaded batch (APS.train_step).
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1.5e-4 * 4096 / 256, betas=(0.9, 0.999), weight_decay=0.1),
)
param_scheduler = [dict(type='WarmupCosineLambdaLR', warmup=40, total=300, by_epoch=True, begin=0, end=300)]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=300)
auto_scale_lr = dict(base_batch_size=4096)
sync_bn = 'torch'
