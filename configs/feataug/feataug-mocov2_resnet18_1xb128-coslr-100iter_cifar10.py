# MoCo v2 + feature augmentation (FT augmenters) on real CIFAR-10 within a CPU budget: the MoCo v2 CPU-budget
# baseline (../mocov2/mocov2_resnet18_1xb128-coslr-100iter_cifar10.py: batch 128, 100 iterations, queue 4096,
# seed 0, final kNN) with the feature augmentation of feataug-mocov2_resnet18_1xb256-coslr-1000e_cifar10.py.
# One of the same-budget comparisons in docs/benchmarks.md.
_base_ = ['../mocov2/mocov2_resnet18_1xb128-coslr-100iter_cifar10.py']

model = dict(
    type='MoCoV2',
    loss=dict(
        _delete_=True,
        type='FeatAugLoss',
        base={{_base_.model.loss}},
        keep_base_loss=True,
        feat_aug=dict(
            augmenters=[
                dict(type='PositiveExtrapolation', alpha=2.0),
                dict(type='NegativeInterpolation', alpha=1.6),
            ],
            loss_weight=1.0,
            detach_input=False,
            detach_output=False,
        ),
    ),
)
