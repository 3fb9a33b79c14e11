# Cross-entropy baseline of SupCon, ResNet-50 (CIFAR stem), CIFAR-100 (SupContrast README: 75.3 top-1).
_base_ = [
    '../_base_/models/ce_resnet18_cifar.py',
    '../_base_/datasets/cifar100_bs1024_ce.py',
    '../_base_/schedules/cifar_sgd_coslr_500e_ce.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(depth=50), head=dict(num_classes=100, in_channels=2048))
