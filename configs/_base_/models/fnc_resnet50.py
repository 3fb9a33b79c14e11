# FNC ResNet-50 (ImageNet): the CIFAR base with the ImageNet ResNet-50, its 2048-d head width and SyncBN.
_base_ = ['./fnc_resnet18_cifar.py']
model = dict(
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN')),
    neck=dict(in_channels=2048, hid_channels=2048),
)
