# APS ViT-B/2 on CIFAR-10: the official CIFAR recipe (config/pretrain): batch 512, 1600 epochs of 4 optimiser steps
# per batch, AdamW lr 5e-4 x 512 / 256, wd 0.05, 20 warm-up epochs then cosine, AMP, SyncBN under DDP.
# Paper (fine-tune top-1 after 1600 epochs, README): see configs/aps/README.md.
_base_ = [
    '../_base_/models/aps_vit-base-p2_cifar.py',
    '../_base_/datasets/cifar10_bs512_aps.py',
    '../_base_/schedules/cifar_adamw_warmcos_1600e_aps.py',
    '../_base_/default_runtime.py',
]

optim_wrapper = dict(optimizer=dict(lr=5e-4 * 512 / 256))
default_hooks = dict(checkpoint=dict(interval=50, max_keep_ckpts=3), logger=dict(interval=20))
