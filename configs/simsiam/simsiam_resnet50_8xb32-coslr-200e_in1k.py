# SimSiam, ResNet-50, 8 GPUs x 32, SGD + cosine, 200 epochs, ImageNet-1k.
# Recipe: mmpretrain configs/simsiam/simsiam_resnet50_8xb32-coslr-200e_in1k.py (SGD 0.05 at batch 256, wd 1e-4,
# cosine, the predictor at a fixed lr). Model: mmpretrain's SimSiam unchanged; the base of
# configs/feataug/feataug-simsiam_resnet50_8xb32-coslr-200e_in1k.py.
_base_ = [
    '../_base_/models/simsiam_resnet50.py',
    '../_base_/datasets/imagenet_bs32_mocov2.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]
lr = 0.05
optim_wrapper = dict(
    optimizer=dict(lr=lr, weight_decay=1e-4), paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)})
)
custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)]
