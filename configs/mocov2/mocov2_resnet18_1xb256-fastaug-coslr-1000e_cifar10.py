# MoCo v2, ResNet-18 (CIFAR stem), 1 GPU x batch 256, SGD + cosine, 1000 epochs, CIFAR-10, with the views made on
# the GPU by BatchAugDataPreprocessor (the augmentation of mocov2_resnet18_1xb256-coslr-1000e_cifar10.py, batched).
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_mocov2_fastaug.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
data_preprocessor = dict(channels_last=True)
