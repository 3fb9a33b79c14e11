# CLSA, ResNet-50 (official maple-research-lab/CLSA defaults): MoCo v2 encoder + 2048-2048-128 MLP,
# queue 65536, momentum 0.999 (MMEngine 0.001), T = moco_t = 0.2, T2 = clsa_t = 0.2, alpha = 1,
# in-batch keys as negatives (target = global rank * B + i; the code's local-GPU index is wrong beyond a node).
_base_ = ['./mocov2_resnet50.py']
model = dict(
    type='CLSA',
    num_weak=1,
    num_strong=1,
    group_views=True,
    loss=dict(type='QueueInfoNCELoss', temperature=0.2, in_batch_negatives=True, gather_distributed=True),
    ddm_loss=dict(type='DDMLoss', temperature=0.2, pairs='all', loss_weight=1.0),
)
