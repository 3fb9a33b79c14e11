# Cross-entropy baseline of SupCon, ResNet-50 (CIFAR stem), CIFAR-10 (SupContrast README: 95.0 top-1).
_base_ = ['./ce_resnet18_1xb1024-coslr-500e_cifar10.py']
model = dict(backbone=dict(depth=50), head=dict(in_channels=2048))
