# mmpretrain configs/_base_/schedules/imagenet_sgd_coslr_200e.py: SGD 0.03 (batch 256), wd 1e-4, cosine.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=200, by_epoch=True, begin=0, end=200)]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=200)
auto_scale_lr = dict(base_batch_size=256)
