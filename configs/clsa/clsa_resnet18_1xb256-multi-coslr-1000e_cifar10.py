# CLSA-Multi, ResNet-18 (CIFAR stem), 1 GPU x batch 256, CIFAR-10: 5 weak + 5 strong crops (32/28/24/20/16 px),
# 5 contrastive and 25 DDM terms, summed.
_base_ = [
    '../_base_/models/clsa_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_clsa.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
model = dict(num_weak=5, num_strong=5)
train_dataloader = dict(dataset=dict(pipeline={{_base_.clsa_multi_pipeline}}))
