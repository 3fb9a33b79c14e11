# MoCo v2 on real CIFAR-10 within a CPU budget: mocov2_resnet18_1xb256-coslr-1000e_cifar10.py at batch 128 for 100
# iterations (SGD lr 0.3 at batch 256 -> 0.15, 10 warm-up iterations then cosine), queue 4096 (filled after 32
# iterations), seed 0; kNN (k=200, T=0.1) of the final backbone: bank = 10,000 training images over all classes,
# queries = the 10,000 test images. One of the same-budget comparisons in docs/benchmarks.md.
_base_ = ['./mocov2_resnet18_1xb256-coslr-1000e_cifar10.py']

model = dict(queue_len=4096)
train_dataloader = dict(batch_size=128, num_workers=2, persistent_workers=True)
optim_wrapper = dict(optimizer=dict(lr=0.15))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', T_max=90, by_epoch=False, begin=10, end=100),
]
train_cfg = dict(_delete_=True, type='ResumableIterBasedTrainLoop', max_iters=100)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
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
