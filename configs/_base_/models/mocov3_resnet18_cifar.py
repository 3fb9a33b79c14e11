# MoCo v3 on ResNet-18 with the CIFAR stem: solo-learn scripts/pretrain/cifar/mocov3.yaml (projector 512-4096-256,
# 2 layers, no bias, last BN not affine; predictor 256-4096-256, no last BN; temperature 0.2; tau 0.99 -> 1 by a
# cosine). mmpretrain's MoCoV3 unchanged: its CosineEMA takes MMEngine's convention (base_momentum=0.01 is tau
# 0.99), its head scales the cross-entropy by 2 * temperature as solo-learn's and the official loss do.
temperature = 0.2
model = dict(
    type='MoCoV3',
    base_momentum=0.01,
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=4096,
        out_channels=256,
        num_layers=2,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=True,
    ),
    head=dict(
        type='MoCoV3Head',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=256,
            hid_channels=4096,
            out_channels=256,
            num_layers=2,
            with_bias=False,
            with_last_bn=False,
            with_last_bn_affine=False,
            with_last_bias=False,
            with_avg_pool=False,
        ),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature,
    ),
)
