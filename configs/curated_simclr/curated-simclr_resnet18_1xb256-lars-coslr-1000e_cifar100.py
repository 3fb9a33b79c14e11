# SimCLR + batch curation on CIFAR-100: the CIFAR-10 curation settings on
# ../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar100.py.
_base_ = ['../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar100.py']

model = dict(
    type='CuratedSimCLR',
    curator=dict(type='BatchCurator', keep_fraction=0.875, min_kept=64, warmup_epochs=10),
    score_with='online',
)
optim_wrapper = dict(type='SkipStepOptimWrapper')
# under DDP the step must run through CuratedSimCLR's own train step, which hands a rejected batch to the wrapper
model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')
