# Cross-entropy baseline on the 100-iteration CPU budget of supcon_resnet18_1xb128-coslr-100iter_cifar10.py
# (same backbone, augmentation, batch, schedule shape and seed): lr 0.8 x 128 / 1024 = 0.1. The kNN of the
# final backbone as for SupCon; the classifier's own top-1 on the test split at the end.
_base_ = ['./ce_resnet18_1xb1024-coslr-500e_cifar10.py']

train_dataloader = dict(batch_size=128, num_workers=2)
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.0125, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', T_max=90, eta_min=1e-4, by_epoch=False, begin=10, end=100),
]
train_cfg = dict(_delete_=True, type='ResumableIterBasedTrainLoop', max_iters=100, val_interval=100)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=1))
custom_hooks = [
    dict(
        type='KNNEvalHook',
        bank_dataloader={{_base_.knn_bank_dataloader}},
        query_dataloader={{_base_.knn_query_dataloader}},
        by_epoch=False,
        interval=100,
        k=200,
        temperature=0.1,
        bank_size=10000,
    )
]
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=128)
