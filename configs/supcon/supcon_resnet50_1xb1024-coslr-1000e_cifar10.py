# SupCon stage 1, ResNet-50 (CIFAR stem), CIFAR-10: SupContrast's recipe as published (README: 96.0 linear
# top-1 after stage 2, ../benchmarks/classification/cifar10/resnet50_linear-sgd-lr5-steplr-100e_cifar10.py).
_base_ = [
    '../_base_/models/supcon_resnet50_cifar.py',
    '../_base_/datasets/cifar10_bs1024_supcon.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e_supcon.py',
    '../_base_/default_runtime.py',
]
