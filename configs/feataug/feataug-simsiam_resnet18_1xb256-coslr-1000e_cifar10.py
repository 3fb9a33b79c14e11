# SimSiam + feature augmentation, ResNet-18 (CIFAR stem), CIFAR-10: solo-learn's SimSiam recipe (SGD 0.5,
# wd 1e-5, 10-epoch warm-up + cosine, 1000 epochs, symmetric weak augmentations), predictor lr fixed as in the
# paper (SimSiamHook). Feature augmentation [unverified design]: dropout on the stop-gradient branch with
# stop-gradient on the augmenter's input; L = L_simsiam + 1.0 * L_aug.
_base_ = [
    '../_base_/models/simsiam_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_mocov2.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='SimSiamFeatAug',
    feat_aug=dict(
        augmenters=[dict(type='FeatureDropout', p=0.2, on=('target',))],
        loss_weight=1.0,
        detach_input=True,
        detach_output=False,
    ),
)
lr = 0.5
optim_wrapper = dict(
    optimizer=dict(lr=lr, weight_decay=1e-5), paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)})
)
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr),
    dict(
        type='KNNEvalHook',
        bank_dataloader={{_base_.knn_bank_dataloader}},
        query_dataloader={{_base_.knn_query_dataloader}},
        interval=10,
        k=200,
        temperature=0.1,
    ),
]
