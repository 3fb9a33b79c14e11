# CLSA on the CIFAR MoCo v2 model (ResNet-18 CIFAR stem, 512-2048-256 projector, queue 32768, tau 0.99):
# in-batch keys as extra negatives (target = global rank * B + i), T = T2 = 0.2, DDM weight alpha = 1 over
# every weak x strong pair, summed (maple-research-lab/CLSA model/CLSA.py, training/train.py).
_base_ = ['./mocov2_resnet18_cifar.py']
model = dict(
    type='CLSA',
    num_weak=1,
    num_strong=1,
    group_views=True,
    loss=dict(type='QueueInfoNCELoss', temperature=0.2, in_batch_negatives=True, gather_distributed=True),
    ddm_loss=dict(type='DDMLoss', temperature=0.2, pairs='all', loss_weight=1.0),
)
