# SupCon stage 1, ResNet-50, ImageNet-1k: the official TF script's settings (batch 6144, AutoAugment,
# temperature 0.1, LARS, wd 1e-3, 350 epochs). Its "base lr 0.4" is taken per 256 images (README,
# [unverified]): 0.4 x 6144 / 256 = 9.6, with the TF script's 12-epoch warm-up and cosine. As the TF code:
# the loss is scaled by the temperature (scale_by_temperature: base_temperature=1, x0.1) and biases get weight
# decay; BN parameters stay excluded from decay and LARS adaptation. Deviations: configs/supcon/README.md.
_base_ = [
    '../_base_/models/supcon_resnet50.py',
    '../_base_/datasets/imagenet_bs32_supcon.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=192)
model = dict(loss=dict(base_temperature=1.0))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=9.6, momentum=0.9, weight_decay=1e-3),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }
    ),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=12, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=338, by_epoch=True, begin=12, end=350, convert_to_iter_based=True),
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=350)
auto_scale_lr = dict(base_batch_size=6144)
