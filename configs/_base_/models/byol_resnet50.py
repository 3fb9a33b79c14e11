# BYOL ResNet-50 (ImageNet): mmpretrain configs/byol/byol_resnet50_16xb256-coslr-200e_in1k.py
# (projector 2048-4096-256, predictor 256-4096-256, base_momentum 0.01 = tau 0.99 annealed to 1, SyncBN):
# the CIFAR base with the ImageNet ResNet-50 and its 2048-d input to the projector.
_base_ = ['./byol_resnet18_cifar.py']
model = dict(
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN')),
    neck=dict(in_channels=2048),
)
