# SimCLR on ResNet-18 with the CIFAR stem (mmpretrain ResNet_CIFAR: 3x3 stride-1 conv, no max-pool).
# solo-learn scripts/pretrain/cifar/simclr.yaml: projector widths 512-2048-256, temperature 0.2.
# Deviation: the projector is mmpretrain's NonLinearNeck (Linear without bias, BatchNorm, ReLU, Linear without
# bias), not solo-learn's (Linear with bias, ReLU, Linear with bias, no BatchNorm). DCL, DCLW and the curated
# SimCLR configs inherit it.
# ContrastiveSimCLR = mmpretrain's SimCLR (one backbone pass over both views, NonLinearNeck) with the
# NT-Xent of NTXentLoss, whose negatives of every rank are gathered with gradients.
model = dict(
    type='ContrastiveSimCLR',
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck', in_channels=512, hid_channels=2048, out_channels=256, num_layers=2, with_avg_pool=True
    ),
    loss=dict(type='NTXentLoss', temperature=0.2, gather_distributed=True),
)
