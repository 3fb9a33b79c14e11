# APS ViT-S/16 for 224x224 ImageNet inputs: the official ViT-S of module/model.py (12 blocks, dim 384, 6 heads, no
# qkv bias, learned position embedding on the patch tokens only) at patch 16 (14x14 = 196 tokens). The public code
# has no ImageNet heads: the 3-layer projector / predictor take MoCo v3's ImageNet widths (hidden 4096, output 256)
# [unverified choice], without bias and ending in a BatchNorm without affine parameters as the APS heads.
model = dict(
    type='APS',
    backbone=dict(
        type='APSViT',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        qkv_bias=False,
        drop_path_rate=0.0,
        final_norm=True,
        out_type='cls_token',
        with_cls_token=True,
        cls_pos_embed=False,
    ),
    neck=dict(
        type='NonLinearNeck',
        in_channels=384,
        hid_channels=4096,
        out_channels=256,
        num_layers=3,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_avg_pool=False,
        norm_cfg=dict(type='BN1d'),
    ),
    head=dict(
        type='APSHead',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=256,
            hid_channels=4096,
            out_channels=256,
            num_layers=3,
            with_bias=False,
            with_last_bn=True,
            with_last_bn_affine=False,
            with_avg_pool=False,
            norm_cfg=dict(type='BN1d'),
        ),
        loss=dict(type='APSLoss', temperature=0.1, gather_distributed=True),
    ),
)
model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')
