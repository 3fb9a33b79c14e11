# MoCo v3, ResNet-18 (CIFAR stem), 1 GPU x batch 256, LARS + cosine, 1000 epochs, CIFAR-10.
# Recipe: solo-learn scripts/pretrain/cifar/mocov3.yaml (LARS lr 0.3, wd 1e-6, eta 0.02, BN and bias excluded,
# 10-epoch warm-up + cosine, asymmetric augmentations). Model: mmpretrain's MoCoV3 unchanged.
# Online kNN (k=200, T=0.1) every 10 epochs.
_base_ = [
    '../_base_/models/mocov3_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_byol.py',
    '../_base_/schedules/cifar_lars_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.3, weight_decay=1e-6))
