# SupCon stage 1, ResNet-50 (CIFAR stem), CIFAR-100: SupContrast's recipe (README: 76.5 linear top-1 after
# stage 2, ../benchmarks/classification/cifar100/resnet50_linear-sgd-lr5-steplr-100e_cifar100.py).
_base_ = [
    '../_base_/models/supcon_resnet50_cifar.py',
    '../_base_/datasets/cifar100_bs1024_supcon.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e_supcon.py',
    '../_base_/default_runtime.py',
]
