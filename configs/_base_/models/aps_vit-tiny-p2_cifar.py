# APS ViT-T/2 for 32x32 inputs (official module/model.py): 12 blocks, dim 192, 3 heads, MLP ratio 4, no qkv bias,
# no drop path, final LayerNorm (nn.LayerNorm, eps 1e-5); cls token and position embedding trunc-normal 0.02,
# Linear/Conv at PyTorch's default init (official_init); learned position embedding on the patch tokens only
# (cls_pos_embed=False);
# the cls token feeds a 3-layer projector 192-512-512-128 and a 3-layer predictor 128-512-512-128, both without
# bias and ending in a BatchNorm without affine parameters. One shared encoder (no momentum encoder).
model = dict(
    type='APS',
    backbone=dict(
        type='APSViT',
        arch='deit-tiny',
        img_size=32,
        patch_size=2,
        qkv_bias=False,
        drop_path_rate=0.0,
        final_norm=True,
        out_type='cls_token',
        with_cls_token=True,
        cls_pos_embed=False,
        official_init=True,
        norm_cfg=dict(type='LN', eps=1e-5),
    ),
    neck=dict(
        type='NonLinearNeck',
        in_channels=192,
        hid_channels=512,
        out_channels=128,
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
            in_channels=128,
            hid_channels=512,
            out_channels=128,
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
# DDP must route the step to APS.multi_step_train (nsampling optimiser steps per batch).
model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')
