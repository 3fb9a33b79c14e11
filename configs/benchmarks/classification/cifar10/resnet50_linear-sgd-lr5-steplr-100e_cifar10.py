# SupCon stage 2 for a ResNet-50 (CIFAR stem) pre-trained by
# ../../../supcon/supcon_resnet50_1xb1024-coslr-1000e_cifar10.py (SupContrast README: 96.0 top-1); the
# ResNet-18 stage-2 recipe with the 2048-d encoder output.
_base_ = ['./resnet18_linear-sgd-lr5-steplr-100e_cifar10.py']
model = dict(backbone=dict(depth=50), head=dict(in_channels=2048))
