# SCE ResNet-50 (ImageNet): eztorch configs/run/pretrain/sce/resnet50/resnet50_imagenet.yaml with
# projector_resnet50_mlp3_bn3 (2048-4096-4096-256) and predictor_resnet50_mlp2_bn1 (256-4096-256), queue 65536,
# tau 0.1, tau_m 0.07, coeff 0.5, symmetric, no shuffle-BN, target momentum tau 0.99 -> 1 by a cosine. SyncBN.
_base_ = ['./sce_resnet18_cifar.py']
model = dict(
    queue_len=65536,
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN')),
    neck=dict(in_channels=2048, hid_channels=4096),
    predictor=dict(hid_channels=4096),
    loss=dict(temperature_m=0.07),
)
