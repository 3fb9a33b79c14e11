# Fine-tuning of an APS ViT-B/2 on CIFAR-10: ./vit-tiny-p2_ft-1xb128-adamw-coslr-100e_cifar10.py with the
# base ViT and the official lr 5e-4 x 128 / 512.
_base_ = ['./vit-tiny-p2_ft-1xb128-adamw-coslr-100e_cifar10.py']

lr = 5e-4 * 128 / 512
model = dict(backbone=dict(arch='base'), head=dict(in_channels=768))
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=1e-5, by_epoch=True, begin=5, end=100),
]
