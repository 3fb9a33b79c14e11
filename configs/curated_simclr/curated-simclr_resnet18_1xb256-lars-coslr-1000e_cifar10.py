# SimCLR + batch curation (Welle et al., arXiv:2108.08643), ResNet-18 CIFAR stem, CIFAR-10, 1000 epochs.
# The SimCLR recipe of ../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py; the paper's criterion
# is not public, so the curator is the design of methods.md 4.3 (README): after 10 warm-up epochs, keep
# the 7/8 best-aligned positive pairs of the batch (at least 64), no false-negative removal, FRD logged
# every step with the gate off. SkipStepOptimWrapper makes a gated step (if a gate is set) a true skip.
_base_ = ['../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py']

model = dict(
    type='CuratedSimCLR',
    curator=dict(
        type='BatchCurator',
        pos_threshold=None,
        keep_fraction=0.875,
        neg_threshold=None,
        frd_threshold=None,
        select_num=None,
        min_kept=64,
        warmup_epochs=10,
    ),
    score_with='online',
)
optim_wrapper = dict(type='SkipStepOptimWrapper')
# under DDP the step must run through CuratedSimCLR's own train step, which hands a rejected batch to the wrapper
model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')
