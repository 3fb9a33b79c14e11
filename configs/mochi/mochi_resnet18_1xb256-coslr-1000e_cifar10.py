# MoCHi(1024, 1024, 128), ResNet-18 (CIFAR stem), 1 GPU x batch 256, CIFAR-10: the CIFAR MoCo v2 recipe
# (queue 32768, T 0.2, tau 0.99, SGD 0.3 + cosine, 1000 epochs) with hard negative mixing from epoch 15.
_base_ = [
    '../_base_/models/mochi_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_mocov2.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
