# CLSA-Single, ResNet-18 (CIFAR stem), 1 GPU x batch 256, CIFAR-10: the CIFAR MoCo v2 recipe (solo-learn
# mocov2plus: SGD 0.3, wd 1e-4, 10-epoch warm-up + cosine, 1000 epochs) with CLSA's views and losses.
_base_ = [
    '../_base_/models/clsa_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_clsa.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
