# APS ViT-S/16 for 224x224 ImageNet inputs: the official ViT-S of module/model.py (aps_vit-small-p2_cifar.py: 12
# blocks, dim 384, 6 heads, no qkv bias, learned position embedding on the patch tokens only) at patch 16 (14x14 =
# 196 tokens). The public code has no ImageNet heads: the 3-layer projector / predictor take MoCo v3's ImageNet
# widths (hidden 4096, output 256) [unverified choice], without bias and ending in a BatchNorm without affine
# parameters as the APS heads.
_base_ = ['./aps_vit-small-p2_cifar.py']

model = dict(
    backbone=dict(img_size=224, patch_size=16),
    neck=dict(hid_channels=4096, out_channels=256),
    head=dict(predictor=dict(in_channels=256, hid_channels=4096, out_channels=256)),
)
