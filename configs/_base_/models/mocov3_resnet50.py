# MoCo v3 ResNet-50 (ImageNet): mmpretrain configs/mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py
# (projector 2048-4096-256, predictor 256-4096-256, temperature 1.0, base_momentum 0.01 = tau 0.99 -> 1, SyncBN):
# the CIFAR base with the ImageNet ResNet-50, its 2048-d projector input and the ImageNet temperature.
_base_ = ['./mocov3_resnet18_cifar.py']
temperature = 1.0
model = dict(
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN')),
    neck=dict(in_channels=2048),
    head=dict(loss=dict(loss_weight=2 * temperature), temperature=temperature),
)
