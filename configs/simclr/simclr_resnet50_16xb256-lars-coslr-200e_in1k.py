# SimCLR, ResNet-50, 16 GPUs x batch 256, LARS + cosine, 200 epochs, ImageNet-1k (mmpretrain's recipe).
_base_ = [
    '../_base_/models/simclr_resnet50.py',
    '../_base_/datasets/imagenet_bs32_simclr.py',
    '../_base_/schedules/imagenet_lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=256)
