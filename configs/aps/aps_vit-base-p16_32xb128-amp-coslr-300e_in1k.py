# APS ViT-B/16 on ImageNet-1k, 300 epochs (README@159887e: B fine-tune top-1 84.2 after a 100-epoch fine-tune).
# Batch 4096 (32 GPUs x 128), 4 optimiser steps per batch on 49 of 196 tokens per view. The ImageNet hyper-parameters
# are not public: see the [unverified] choices in the _base_ files and configs/aps/README.md.
_base_ = [
    '../_base_/models/aps_vit-base-p16.py',
    '../_base_/datasets/imagenet_bs128_aps.py',
    '../_base_/schedules/imagenet_adamw_warmcos_300e_aps.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3), logger=dict(interval=50))
