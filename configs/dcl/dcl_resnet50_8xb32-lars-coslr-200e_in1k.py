# SimCLR + DCL, ResNet-50, ImageNet-1k, batch 256 (8 x 32), 200 epochs: the setting of the paper's 68.2%
# linear top-1 (abstract). mmpretrain's SimCLR recipe (LARS, wd 1e-6, 10-epoch warm-up, cosine) with the
# lr linearly scaled to batch 256 (4.8 x 256 / 4096 = 0.3) and the DCL loss at SimCLR's temperature 0.1,
# summed over the two directions (the paper's form).
_base_ = ['../simclr/simclr_resnet50_16xb256-lars-coslr-200e_in1k.py']

model = dict(
    type='DCL',
    loss=dict(_delete_=True, type='DCLLoss', temperature=0.1, weight_fn=None, reduction='sum', gather_distributed=True),
)
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=0.3))
auto_scale_lr = dict(base_batch_size=256)
