# SupCon stage 1 on ResNet-50 (ImageNet stem, SyncBN): head 2048-2048-128 without BN, SupConLoss at
# temperature 0.1 with the PyTorch convention base_temperature 0.07; the ImageNet config sets the TF code's
# scale_by_temperature (base_temperature = 1, loss x0.1): configs/supcon/README.md.
model = dict(
    type='SupCon',
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN'), zero_init_residual=True),
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128, with_avg_pool=True),
    loss=dict(type='SupConLoss', temperature=0.1, base_temperature=0.07, gather_distributed=True, require_labels=True),
)
