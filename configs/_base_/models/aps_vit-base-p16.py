# APS ViT-B/16 for 224x224 ImageNet inputs: aps_vit-small-p16.py with the official ViT-B (12 blocks, dim 768,
# 12 heads); projector 768-4096-4096-256 [unverified widths, see aps_vit-small-p16.py].
_base_ = ['./aps_vit-small-p16.py']

model = dict(backbone=dict(arch='base'), neck=dict(in_channels=768))
