# SimCLR, ResNet-18 (CIFAR stem), 1 GPU x batch 256, LARS + cosine, 1000 epochs, CIFAR-10, with the views made on
# the GPU by BatchAugDataPreprocessor (the same augmentation as simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py,
# batched; docs/benchmarks.md has the speed). Channels-last inputs.
_base_ = [
    '../_base_/models/simclr_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_simclr_fastaug.py',
    '../_base_/schedules/cifar_lars_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
data_preprocessor = dict(channels_last=True)
