# CLSA-Multi, ResNet-50, 8 GPUs x 32 (global 256), ImageNet-1k, 200 epochs: 5 weak + 5 strong crops at
# 224/192/160/128/96 (official scale ranges), 5 contrastive + 25 DDM terms. README: 73.3 linear top-1.
_base_ = [
    '../_base_/models/clsa_resnet50.py',
    '../_base_/datasets/imagenet_bs32_clsa.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]
# group_views=False: each crop goes through the backbone alone (own BN statistics), as the official code that
# produced the 73.3 does; the CIFAR multi-crop configs batch equal-size crops (group_views=True) for speed.
model = dict(num_weak=5, num_strong=5, group_views=False)
train_dataloader = dict(dataset=dict(pipeline={{_base_.clsa_multi_pipeline}}))
