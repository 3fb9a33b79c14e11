# APS ViT-S/2 for 32x32 inputs: the ViT-T/2 model of aps_vit-tiny-p2_cifar.py with the official ViT-S (12 blocks,
# dim 384, 6 heads); projector 384-512-512-128, predictor 128-512-512-128.
_base_ = ['./aps_vit-tiny-p2_cifar.py']

model = dict(backbone=dict(arch='deit-small'), neck=dict(in_channels=384))
