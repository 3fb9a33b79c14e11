# Cross-entropy baseline of SupCon, ResNet-18 (CIFAR stem), CIFAR-10: SupContrast main_ce.py (batch 1024,
# SGD lr 0.8, wd 1e-4, 500 epochs, cosine + warm-up) with the stage-1 backbone and augmentation.
_base_ = [
    '../_base_/models/ce_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs1024_ce.py',
    '../_base_/schedules/cifar_sgd_coslr_500e_ce.py',
    '../_base_/default_runtime.py',
]
