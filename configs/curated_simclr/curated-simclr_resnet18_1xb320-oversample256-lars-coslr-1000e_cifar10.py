# SimCLR + batch curation by oversample-then-select on CIFAR-10: the loader brings 320 images per step,
# a no-grad scoring pass (current encoder, batch-norm statistics restored) keeps the 256 best-aligned
# pairs, the training pass and the loss see those 256 (the recipe's batch). During the 10 warm-up epochs
# the first 256 of each (shuffled) batch are trained on, so the trained batch size never changes.
_base_ = ['../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py']

model = dict(
    type='CuratedSimCLR',
    curator=dict(type='BatchCurator', select_num=256, min_kept=64, warmup_epochs=10),
    score_with='online',
)
train_dataloader = dict(batch_size=320)
optim_wrapper = dict(type='SkipStepOptimWrapper')
# under DDP the step must run through CuratedSimCLR's own train step, which hands a rejected batch to the wrapper
model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')
# the lr is set for the 256 pairs trained on, not for the 320 loaded
auto_scale_lr = dict(base_batch_size=320)
