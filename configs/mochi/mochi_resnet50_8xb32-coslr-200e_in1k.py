# MoCHi(1024, 1024, 128), ResNet-50, 8 GPUs x 32, ImageNet-1k, 200 epochs on the MoCo v2 recipe
# (paper: 68.0 linear top-1 vs MoCo v2 67.5 [unverified]).
_base_ = [
    '../_base_/models/mochi_resnet50.py',
    '../_base_/datasets/imagenet_bs32_mocov2.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]
