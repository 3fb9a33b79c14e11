# Cross-entropy baseline of SupCon (SupContrast main_ce.py, SupCEResNet): the stage-1 backbone (ResNet-18,
# CIFAR stem) with global average pooling and one linear layer, trained end to end with cross-entropy.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=512, loss=dict(type='CrossEntropyLoss'), topk=(1, 5)),
)
