# BYOL + feature augmentation, ResNet-50, 16 GPUs x 256, ImageNet-1k, 200 epochs (mmpretrain's BYOL recipe:
# LARS 4.8, wd 1e-6, 10-epoch warm-up + cosine). Feature augmentation [unverified design]: dropout on the target
# branch with stop-gradient on the augmenter's input; L = L_byol + 1.0 * L_aug.
_base_ = [
    '../_base_/models/byol_resnet50.py',
    '../_base_/datasets/imagenet_bs32_byol.py',
    '../_base_/schedules/imagenet_lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=256)
model = dict(
    type='BYOL',
    head=dict(
        _delete_=True,
        type='FeatAugHead',
        head={{_base_.model.head}},
        feat_aug=dict(
            augmenters=[dict(type='FeatureDropout', p=0.2, on=('target',))],
            loss_weight=1.0,
            detach_input=True,
            detach_output=False,
        ),
    ),
)
