# BYOL on ResNet-18 with the CIFAR stem: solo-learn scripts/pretrain/cifar/byol.yaml (projector 512-4096-256,
# predictor 256-4096-256, tau 0.99 -> 1.0 cosine). mmpretrain's BYOL uses CosineEMA in MMEngine's convention:
# base_momentum=0.01 is tau 0.99, annealed to tau 1.
model = dict(
    type='BYOL',
    base_momentum=0.01,
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=4096,
        out_channels=256,
        num_layers=2,
        with_bias=True,
        with_last_bn=False,
        with_avg_pool=True,
    ),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=256,
            hid_channels=4096,
            out_channels=256,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_avg_pool=False,
        ),
        loss=dict(type='CosineSimilarityLoss'),
    ),
)
