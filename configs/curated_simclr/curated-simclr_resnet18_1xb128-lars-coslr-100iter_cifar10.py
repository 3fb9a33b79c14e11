# SimCLR + batch curation on the 100-iteration CPU budget of ../simclr/simclr_resnet18_1xb128-lars-coslr-
# 100iter_cifar10.py (same recipe, batch, lr, seed): warm-up 20 iterations, then the 7/8 best-aligned
# pairs of each batch (at least 32). Result: docs/benchmarks.md.
_base_ = ['../simclr/simclr_resnet18_1xb128-lars-coslr-100iter_cifar10.py']

model = dict(
    type='CuratedSimCLR',
    curator=dict(type='BatchCurator', keep_fraction=0.875, min_kept=32, warmup_iters=20),
    score_with='online',
)
optim_wrapper = dict(type='SkipStepOptimWrapper')
# under DDP the step must run through CuratedSimCLR's own train step, which hands a rejected batch to the wrapper
model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')
