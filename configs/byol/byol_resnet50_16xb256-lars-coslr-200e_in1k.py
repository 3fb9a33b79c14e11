# BYOL, ResNet-50, 16 GPUs x 256 (4096), LARS + cosine, 200 epochs, ImageNet-1k.
# Recipe: mmpretrain configs/byol/byol_resnet50_16xb256-coslr-200e_in1k.py (LARS 4.8, wd 1e-6, BN and bias
# excluded, 10-epoch warm-up + cosine, asymmetric views, tau 0.99 -> 1). Model: mmpretrain's BYOL unchanged;
# the base of configs/feataug/feataug-byol_resnet50_16xb256-lars-coslr-200e_in1k.py.
_base_ = [
    '../_base_/models/byol_resnet50.py',
    '../_base_/datasets/imagenet_bs32_byol.py',
    '../_base_/schedules/imagenet_lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=256)
