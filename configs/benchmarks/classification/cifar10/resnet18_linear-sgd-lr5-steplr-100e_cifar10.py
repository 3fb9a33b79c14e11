# SupCon stage 2 (SupContrast main_linear.py) for a ResNet-18 (CIFAR stem) pre-trained by
# ../../../supcon/supcon_resnet18_1xb1024-coslr-1000e_cifar10.py: the backbone is frozen and in eval mode
# (all 4 stages, BN statistics fixed: frozen_stages=4, norm_eval=True), the projection head is dropped and
# one linear layer is trained on the pooled encoder output. Batch 512, SGD lr 5 (SimCLR checkpoints: lr 1),
# momentum 0.9, wd 0, 100 epochs, lr x 0.2 at epochs 60 / 75 / 90; RandomResizedCrop(32, scale (0.2, 1))
# and flip; SupContrast's CIFAR normalisation.
# Usage: python tools/train.py THIS_CONFIG --cfg-options model.backbone.init_cfg.checkpoint=STAGE1.pth
_base_ = ['./resnet18_linear-probe-sgd-coslr-100e_cifar10.py']

data_preprocessor = dict(std=[51.5865, 50.847, 51.255])
train_pipeline = [
    dict(type='LoadImageFromFile', channel_order='rgb'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=512, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=5.0, momentum=0.9, weight_decay=0.0))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[60, 75, 90], gamma=0.2)]
auto_scale_lr = dict(base_batch_size=512)
