# MoCo v2, ResNet-50, 8 GPUs x batch 32, SGD + cosine, 200 epochs, ImageNet-1k (mmpretrain's recipe).
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/imagenet_bs32_mocov2.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]
