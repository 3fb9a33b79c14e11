# SimSiam, ResNet-18 (CIFAR stem), 1 GPU x batch 256, SGD + cosine, 1000 epochs, CIFAR-10.
# Recipe: solo-learn scripts/pretrain/cifar/simsiam.yaml (SGD lr 0.5, wd 1e-5, 10-epoch warm-up + cosine);
# the predictor keeps a fixed lr as in the paper (SimSiamHook, fix_lr). Model: mmpretrain's SimSiam unchanged.
_base_ = [
    '../_base_/models/simsiam_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_mocov2.py',
    '../_base_/schedules/cifar_sgd_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
lr = 0.5
optim_wrapper = dict(
    optimizer=dict(lr=lr, weight_decay=1e-5), paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)})
)
custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)]  # kNN: the base's val loop
