# SupCon stage 1 on ResNet-50 with the CIFAR stem: SupContrast's CIFAR model (head 2048-2048-128, no BN).
_base_ = ['./supcon_resnet18_cifar.py']
model = dict(
    backbone=dict(depth=50),
    neck=dict(in_channels=2048, hid_channels=2048),
)
