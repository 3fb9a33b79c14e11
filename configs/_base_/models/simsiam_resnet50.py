# SimSiam ResNet-50 (ImageNet): mmpretrain configs/simsiam/simsiam_resnet50_8xb32-coslr-200e_in1k.py
# (projector 2048-2048-2048, 3 layers; predictor 2048-512-2048; SyncBN; zero-init residuals): the CIFAR
# base with the ImageNet ResNet-50 and its 2048-d input to the projector.
_base_ = ['./simsiam_resnet18_cifar.py']
model = dict(
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN')),
    neck=dict(in_channels=2048),
)
