# CLSA-Single, ResNet-50, 8 GPUs x 32 (global 256), ImageNet-1k, 200 epochs: the official recipe
# (SGD 0.03, momentum 0.9, wd 1e-4, cosine stepped per epoch, drop_last). README: 69.4 linear top-1.
_base_ = [
    '../_base_/models/clsa_resnet50.py',
    '../_base_/datasets/imagenet_bs32_clsa.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]
