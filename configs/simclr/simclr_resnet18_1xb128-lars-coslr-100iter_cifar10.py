# SimCLR CIFAR-10 on a 100-iteration CPU budget: the SimCLR-family comparison of docs/benchmarks.md
# (SimCLR vs batch curation vs DCL, same budget and seed). The 170-iteration config at 100 iterations:
# batch 128, LARS lr 0.2, 10 warm-up iterations then cosine; kNN (k=200, T=0.1) of the random-init and
# final backbone on a 10,000-image bank and the 10,000-image test split.
_base_ = ['./simclr_resnet18_1xb128-lars-coslr-170iter_cifar10.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', T_max=90, by_epoch=False, begin=10, end=100),
]
train_cfg = dict(max_iters=100)
default_hooks = dict(checkpoint=dict(interval=100))
custom_hooks = [
    dict(
        type='KNNEvalHook',
        bank_dataloader={{_base_.knn_bank_dataloader}},
        query_dataloader={{_base_.knn_query_dataloader}},
        by_epoch=False,
        interval=100,
        k=200,
        temperature=0.1,
        evaluate_before_train=False,
        bank_size=10000,
    )
]
# The kNN of this short budget is the hook's above (a 10,000-image bank, once at the end or also before the
# first step), not the recipe's every-10-epochs validation loop; tools/test.py keeps the full kNN test loop.
val_dataloader = None
val_evaluator = None
val_cfg = None
