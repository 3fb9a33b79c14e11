# MoCo v2 ResNet-50 (ImageNet): mmpretrain configs/mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py
# (queue 65536, 128-d, T=0.2, momentum 0.001 in MMEngine's convention = paper's 0.999), run by mmssl_ext's
# MoCoV2 (mmpretrain's MoCo + QueueInfoNCELoss, gathered enqueue, checkpointed queue).
model = dict(
    type='MoCoV2',
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128, with_avg_pool=True),
    loss=dict(type='QueueInfoNCELoss', temperature=0.2),
)
