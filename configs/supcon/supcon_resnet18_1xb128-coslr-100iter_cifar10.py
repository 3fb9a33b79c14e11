# SupCon stage 1 on a 100-iteration CPU budget (SupCon vs its cross-entropy baseline in docs/benchmarks.md,
# same backbone, augmentation, budget and seed): the ResNet-18 CIFAR-10 recipe at batch 128 with the lr
# scaled linearly (0.5 x 128 / 1024 = 0.0625), 10 warm-up iterations from 0.02 x lr, then cosine to lr x 1e-3.
# kNN (k=200, T=0.1) of the final backbone on a 10,000-image bank and the 10,000-image test split.
_base_ = ['./supcon_resnet18_1xb1024-coslr-1000e_cifar10.py']

train_dataloader = dict(batch_size=128, num_workers=2)
optim_wrapper = dict(optimizer=dict(lr=0.0625))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.02, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', T_max=90, eta_min=6.25e-5, by_epoch=False, begin=10, end=100),
]
train_cfg = dict(_delete_=True, type='ResumableIterBasedTrainLoop', max_iters=100)
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
# The kNN of this short budget is the hook's above (a 10,000-image bank, once at the end or also before the
# first step), not the recipe's every-10-epochs validation loop; tools/test.py keeps the full kNN test loop.
val_dataloader = None
val_evaluator = None
val_cfg = None
