# MoCo v2 on ResNet-18 with the CIFAR stem. solo-learn scripts/pretrain/cifar/mocov2plus.yaml:
# projector 512-2048-256, queue 32768, temperature 0.2, momentum 0.99 (paper form).
# mmssl_ext's MoCoV2 (mmpretrain's MoCo + QueueInfoNCELoss, gathered enqueue, checkpointed queue) takes MMEngine's
# EMA convention: momentum=0.01 means tau=0.99. The momentum is constant; solo-learn anneals tau 0.99 -> 0.999.
model = dict(
    type='MoCoV2',
    queue_len=32768,
    feat_dim=256,
    momentum=0.01,
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=2048, out_channels=256, with_avg_pool=True),
    loss=dict(type='QueueInfoNCELoss', temperature=0.2),
)
