# CLSA-Multi, ResNet-18 (CIFAR stem), 1 GPU x batch 256, CIFAR-10, with the 11 views (key, 5 weak, 5 strong at
# 32/28/24/20/16 px) made on the GPU by BatchAugDataPreprocessor: the augmentation of
# clsa_resnet18_1xb256-multi-coslr-1000e_cifar10.py with BatchCLSARandAugment for the strong views.
_base_ = [
    '../_base_/models/clsa_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_clsa_fastaug.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
model = dict(num_weak=5, num_strong=5)
data_preprocessor = dict(
    num_views={{_base_.clsa_multi_preprocessor.num_views}},
    view_augments={{_base_.clsa_multi_preprocessor.view_augments}},
    channels_last=True,
)
