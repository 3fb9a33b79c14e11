# SupCon stage 1 on ResNet-18 with the CIFAR stem (3x3 stride-1 conv, no max-pool), SupContrast
# networks/resnet_big.py: head 'mlp' = Linear(512, 512), ReLU, Linear(512, 128) (MoCoV2Neck: no BN),
# then L2-normalise. SupConLoss at temperature 0.1 with base_temperature 0.07 as main_supcon.py (the
# loss is scaled by 0.1 / 0.07), negatives of every rank gathered with gradients (DDP; SupContrast uses
# DataParallel, whose loss sees the whole batch).
model = dict(
    type='SupCon',
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=512, out_channels=128, with_avg_pool=True),
    loss=dict(type='SupConLoss', temperature=0.1, base_temperature=0.07, gather_distributed=True, require_labels=True),
)
