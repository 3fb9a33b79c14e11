# SimCLR CIFAR-10 on a CPU budget (~20 minutes of training on 2 cores): the recipe of
# simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py (R18 CIFAR stem, solo-learn augmentations,
# projector, T=0.2, LARS with BN/bias excluded) at batch 128 with the linearly scaled lr 0.2, for 170
# iterations (10 warm-up + cosine). kNN (k=200, T=0.1) of the random-init and final backbone: bank =
# 10,000 training images spread over all classes, queries = the full 10,000-image test split.
# Result and command: docs/benchmarks.md.
_base_ = ['./simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py']

train_dataloader = dict(batch_size=128, num_workers=2, persistent_workers=True)
optim_wrapper = dict(optimizer=dict(lr=0.2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', T_max=160, by_epoch=False, begin=10, end=170),
]
train_cfg = dict(_delete_=True, type='ResumableIterBasedTrainLoop', max_iters=170)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(by_epoch=False, interval=170, max_keep_ckpts=1))
custom_hooks = [
    dict(
        type='KNNEvalHook',
        bank_dataloader={{_base_.knn_bank_dataloader}},
        query_dataloader={{_base_.knn_query_dataloader}},
        by_epoch=False,
        interval=170,
        k=200,
        temperature=0.1,
        evaluate_before_train=True,
        bank_size=10000,
    )
]
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
# The kNN of this short budget is the hook's above (a 10,000-image bank, once at the end or also before the
# first step), not the recipe's every-10-epochs validation loop; tools/test.py keeps the full kNN test loop.
val_dataloader = None
val_evaluator = None
val_cfg = None
