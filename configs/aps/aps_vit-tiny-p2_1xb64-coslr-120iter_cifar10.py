# APS ViT-T/2 on CIFAR-10 on a 120-batch CPU budget: the APS vs all-token comparison of docs/benchmarks.md
# (same ViT, views, projector, predictor, loss, optimiser, schedule, seed and number of loaded batches as
# aps_vit-tiny-p2_1xb64-alltokens-coslr-120iter_cifar10.py). Batch 64, 4 optimiser steps per batch (480 in all),
# AdamW lr 5e-4 (wd 0.05), per-batch schedule min((t + 1) / 10, cosine over 120), fp32 (no AMP on the CPU),
# BatchNorm (no SyncBN); kNN (k=200, T=0.1) of the final cls token on 5,000 train / 5,000 test images.
_base_ = ['./aps_vit-tiny-p2_1xb512-amp-coslr-1600e_cifar10.py']

train_dataloader = dict(batch_size=64, num_workers=2)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
)
param_scheduler = [dict(type='WarmupCosineLambdaLR', warmup=10, total=120, by_epoch=False, begin=0, end=120)]
train_cfg = dict(_delete_=True, type='ResumableIterBasedTrainLoop', max_iters=120)
sync_bn = None
randomness = dict(seed=0)
default_hooks = dict(checkpoint=dict(interval=120, by_epoch=False), logger=dict(interval=10))
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(
        type='KNNEvalHook',
        bank_dataloader={{_base_.knn_bank_dataloader}},
        query_dataloader={{_base_.knn_query_dataloader}},
        by_epoch=False,
        interval=120,
        k=200,
        temperature=0.1,
        evaluate_before_train=False,
        bank_size=5000,
        query_size=5000,
    )
]
# The kNN of this short budget is the hook's above (a 10,000-image bank, once at the end or also before the
# first step), not the recipe's every-10-epochs validation loop; tools/test.py keeps the full kNN test loop.
val_dataloader = None
val_evaluator = None
val_cfg = None
