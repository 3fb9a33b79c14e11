# MoCo v2 + feature augmentation, ResNet-18 (CIFAR stem), CIFAR-10, the CIFAR MoCo v2 recipe.
# Augmenters: FT's verified recipe (DTennant/CL-Visualizing-Feature-Transformation: positive extrapolation
# lambda ~ 1 + Beta(2, 2), negative interpolation mu ~ Beta(1.6, 1.6), one scalar per step, no re-normalisation,
# gradient through the mixed pair). L = L_moco + 1.0 * L_aug; FT itself trains on L_aug alone
# (keep_base_loss=False). The queue receives the un-augmented keys.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_mocov2.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
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
