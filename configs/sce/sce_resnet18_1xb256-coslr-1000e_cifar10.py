# SCE, ResNet-18 (CIFAR stem), 1 GPU x batch 256, SGD + cosine, 1000 epochs, CIFAR-10.
# eztorch releases no CIFAR recipe: the schedule is this project's MoCo v2 CIFAR one (solo-learn mocov2plus:
# SGD 0.3, wd 1e-4, 10-epoch warm-up + cosine), so SCE compares with its base at the same budget; the views are
# the asymmetric BYOL / MoCo v3 pair of the released ImageNet recipe, at CIFAR scale (solo-learn asymmetric.yaml).
# Online kNN (k=200, T=0.1) every 10 epochs.
_base_ = [
    '../_base_/models/sce_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_byol.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
