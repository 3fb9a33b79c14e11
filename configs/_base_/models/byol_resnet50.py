# BYOL ResNet-50 (ImageNet): mmpretrain configs/byol/byol_resnet50_16xb256-coslr-200e_in1k.py
# (projector 2048-4096-256, predictor 256-4096-256, base_momentum 0.01 = tau 0.99 annealed to 1, SyncBN).
model = dict(
    type='BYOL',
    base_momentum=0.01,
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN'), zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=2048,
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
