# FNC, ResNet-18 (CIFAR stem), 1 GPU x batch 256 (x 10 views), LARS + cosine, 1000 epochs, CIFAR-10.
# The paper reports ImageNet only: the schedule is this project's SimCLR CIFAR recipe (solo-learn simclr.yaml:
# LARS 0.4, wd 1e-4, eta 0.02, 10-epoch warm-up + cosine), so FNC compares with SimCLR at equal budget.
# Online kNN (k=200, T=0.1) every 10 epochs.
_base_ = [
    '../_base_/models/fnc_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_fnc.py',
    '../_base_/schedules/cifar_lars_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
