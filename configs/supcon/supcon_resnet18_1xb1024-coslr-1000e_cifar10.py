# SupCon stage 1, ResNet-18 (CIFAR stem), CIFAR-10: SupContrast's CIFAR recipe (main_supcon.py and README:
# batch 1024, SGD lr 0.5, momentum 0.9, wd 1e-4, temperature 0.1, 1000 epochs, cosine with 10-epoch
# warm-up, TwoCropTransform) with --model resnet18. Stage 2:
# ../benchmarks/classification/cifar10/resnet18_linear-sgd-lr5-steplr-100e_cifar10.py.
_base_ = [
    '../_base_/models/supcon_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs1024_supcon.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e_supcon.py',
    '../_base_/default_runtime.py',
]
