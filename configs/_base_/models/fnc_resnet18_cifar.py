# FNC on ResNet-18 with the CIFAR stem. google-research/fnc defaults: 2 + 8 views (support_size 8), 3-layer
# projection head with BN after each layer and the backbone's width in the middle (model_util.projection_head),
# 128-d output, temperature 0.1, attraction of the false negatives found by top-10 over a 0.7 threshold, a memory
# bank of 16 global batches filled by an EMA encoder (decay 0.999 = MMEngine momentum 0.001).
model = dict(
    type='FNC',
    num_views=10,
    memory_multiplier=16,
    momentum=0.001,
    feat_dim=128,
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        num_layers=3,
        with_bias=False,
        with_last_bn=True,
        with_avg_pool=True,
    ),
    loss=dict(type='FNCLoss', temperature=0.1, mode='attract', topk=10, threshold=0.7, gather_distributed=True),
)
