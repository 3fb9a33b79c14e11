# SCE on ResNet-18 with the CIFAR stem. Heads: eztorch configs/model/head/mlp/projector_resnet18_mlp3_bn3.yaml
# (512-1024-1024-256, BN after each layer, no bias, last BN not affine) and predictor_resnet18_mlp2_bn1.yaml
# (256-1024-256, BN after the first layer, no bias). Loss: eztorch's released ImageNet run (coeff 0.5, tau 0.1,
# symmetric, no shuffle-BN, tau_m 0.07 there); tau_m 0.05 is eztorch SCEModel's default (no released CIFAR recipe).
# Target momentum: tau 0.99 -> 1 by a cosine over the run (MMEngine convention: momentum=0.01, end_momentum=0).
model = dict(
    type='SCE',
    queue_len=32768,
    feat_dim=256,
    momentum=0.01,
    end_momentum=0.0,
    shuffle_bn=False,
    symmetric=True,
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=1024,
        out_channels=256,
        num_layers=3,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=True,
    ),
    predictor=dict(
        type='NonLinearNeck',
        in_channels=256,
        hid_channels=1024,
        out_channels=256,
        num_layers=2,
        with_bias=False,
        with_last_bn=False,
        with_last_bias=False,
        with_avg_pool=False,
    ),
    loss=dict(type='SCELoss', temperature=0.1, temperature_m=0.05, coeff=0.5),
)
