# SimCLR, ResNet-18 (CIFAR stem), CIFAR-100 (mmpretrain's CIFAR100 class, data/cifar100).
# Recipe: solo-learn scripts/pretrain/cifar/simclr.yaml (the same file serves CIFAR-100).
_base_ = [
    '../_base_/models/simclr_resnet18_cifar.py',
    '../_base_/datasets/cifar100_bs256_simclr.py',
    '../_base_/schedules/cifar_lars_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
