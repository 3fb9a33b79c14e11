# SimSiam + feature augmentation, ResNet-50, 8 GPUs x 32, ImageNet-1k, 200 epochs (mmpretrain's SimSiam recipe:
# SGD 0.05, wd 1e-4, cosine, predictor lr fixed). Feature augmentation [unverified design]: dropout on the
# stop-gradient branch, stop-gradient on the augmenter's input; L = L_simsiam + 1.0 * L_aug.
_base_ = [
    '../_base_/models/simsiam_resnet50.py',
    '../_base_/datasets/imagenet_bs32_mocov2.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='SimSiam',
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
lr = 0.05
optim_wrapper = dict(
    optimizer=dict(lr=lr, weight_decay=1e-4), paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)})
)
custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)]
