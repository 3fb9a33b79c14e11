# SimCLR on the embedded digits dataset (CPU demo, `make demo`): ResNet-18 with the ImageNet stem at
# 32x32 (16x cheaper than the CIFAR stem on a CPU), SGD + cosine, 20 epochs, kNN every epoch and at
# initialisation. Not tuned: on digits a random-init ResNet-18 already reaches ~96% kNN top-1.
_base_ = [
    '../_base_/models/simclr_resnet18_cifar.py',
    '../_base_/datasets/digits_bs64_simclr.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(type='ResNet', depth=18), loss=dict(temperature=0.2))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.06, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=20, by_epoch=True, begin=0, end=20)]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=20))
randomness = dict(seed=0)
