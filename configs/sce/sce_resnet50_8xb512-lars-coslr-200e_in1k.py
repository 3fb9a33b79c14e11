# SCE, ResNet-50, 8 GPUs x batch 512 (4096), LARS + cosine, 200 epochs, ImageNet-1k.
# eztorch configs/run/pretrain/sce/resnet50/resnet50_imagenet.yaml: LARS lr 0.3 x 4096 / 256 = 4.8, momentum 0.9,
# wd 1e-6 on every parameter (exclude_wd_norm / exclude_wd_bias False), trust coefficient 1e-3, 10-epoch linear
# warm-up + cosine; views imagenet_two_crops_mocov3 (blur p 1.0 / 0.1, solarize p 0 / 0.2). 72.7 % linear top-1
# at 200 epochs (eztorch docs/source/contributions/sce_wacv.md). Differences from eztorch: see README.md.
_base_ = [
    '../_base_/models/sce_resnet50.py',
    '../_base_/datasets/imagenet_bs32_byol.py',
    '../_base_/schedules/imagenet_lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=512)
optim_wrapper = dict(
    optimizer=dict(type='LARS', lr=4.8, momentum=0.9, weight_decay=1e-6, eta=1e-3),
    paramwise_cfg=dict(_delete_=True),  # eztorch decays and LARS-scales norms and biases too
)
