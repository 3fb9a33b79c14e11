# Linear probe on ImageNet-1k, the CLSA protocol (maple-research-lab/CLSA lincls.py): frozen ResNet-50
# (BN in eval mode), one linear layer on the pooled 2048-d features, SGD lr 10 (batch 256), momentum 0.9,
# wd 0, cosine over 100 epochs, 8 GPUs x 32.
# Usage: bash tools/dist_train.sh THIS_CONFIG 8 --cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN.pth
_base_ = ['./resnet50_linear-steplr-100e_in1k.py']

optim_wrapper = dict(optimizer=dict(lr=10.0, momentum=0.9, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)]
