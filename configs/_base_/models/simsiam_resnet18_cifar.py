# SimSiam on ResNet-18 with the CIFAR stem: solo-learn scripts/pretrain/cifar/simsiam.yaml (projector
# 512-2048-2048, 3 layers, last BN without affine; predictor 2048-512-2048), zero-init residuals as the paper.
model = dict(
    type='SimSiam',
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=2048,
        out_channels=2048,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True,
    ),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=2048,
            hid_channels=512,
            out_channels=2048,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
        ),
    ),
)
