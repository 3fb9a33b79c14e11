# SimCLR ResNet-50 (ImageNet): mmpretrain configs/simclr/simclr_resnet50_16xb256-coslr-200e_in1k.py,
# with the NT-Xent of NTXentLoss (negatives of every rank gathered with gradients).
model = dict(
    type='ContrastiveSimCLR',
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN'), zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck', in_channels=2048, hid_channels=2048, out_channels=128, num_layers=2, with_avg_pool=True
    ),
    loss=dict(type='NTXentLoss', temperature=0.1, gather_distributed=True),
)
