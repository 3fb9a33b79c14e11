# APS ViT-B/2 for 32x32 inputs: the ViT-T/2 model of aps_vit-tiny-p2_cifar.py with the official ViT-B (12 blocks,
# dim 768, 12 heads); projector 768-512-512-128, predictor 128-512-512-128.
_base_ = ['./aps_vit-tiny-p2_cifar.py']

model = dict(backbone=dict(arch='base'), neck=dict(in_channels=768))
