# MoCo v3, ResNet-50, 8 GPUs x 512 (4096), LARS + cosine, 100 epochs, ImageNet-1k, mixed precision.
# Recipe: mmpretrain configs/mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py (LARS 9.6 = 0.6 x 4096 / 256,
# wd 1e-6, BN and bias excluded, 10-epoch warm-up + cosine, temperature 1.0, tau 0.99 -> 1).
_base_ = [
    '../_base_/models/mocov3_resnet50.py',
    '../_base_/datasets/imagenet_bs512_mocov3.py',
    '../_base_/schedules/imagenet_lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer=dict(lr=9.6, weight_decay=1e-6))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=90, by_epoch=True, begin=10, end=100, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=100)
