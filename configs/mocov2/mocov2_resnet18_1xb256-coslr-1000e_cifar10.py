# MoCo v2, ResNet-18 (CIFAR stem), 1 GPU x batch 256, SGD + cosine, 1000 epochs, CIFAR-10.
# Recipe: solo-learn scripts/pretrain/cifar/mocov2plus.yaml. Online kNN (k=200, T=0.1) every 10 epochs.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_mocov2.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
