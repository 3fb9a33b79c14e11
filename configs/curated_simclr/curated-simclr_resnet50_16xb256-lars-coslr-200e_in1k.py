# SimCLR + batch curation, ResNet-50, ImageNet-1k: mmpretrain's SimCLR recipe
# (../simclr/simclr_resnet50_16xb256-lars-coslr-200e_in1k.py) with the CIFAR curation settings
# (7/8 best-aligned pairs of the 4096-pair global batch after 10 warm-up epochs).
_base_ = ['../simclr/simclr_resnet50_16xb256-lars-coslr-200e_in1k.py']

model = dict(
    type='CuratedSimCLR',
    curator=dict(type='BatchCurator', keep_fraction=0.875, min_kept=256, warmup_epochs=10),
    score_with='online',
)
optim_wrapper = dict(type='SkipStepOptimWrapper')
# under DDP the step must run through CuratedSimCLR's own train step, which hands a rejected batch to the wrapper
model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')
