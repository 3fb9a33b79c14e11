# SupCon stage 2 on CIFAR-100 (SupContrast README: 76.5 top-1) for a ResNet-50 (CIFAR stem) pre-trained by
# ../../../supcon/supcon_resnet50_1xb1024-coslr-1000e_cifar100.py: frozen backbone in eval mode, one linear
# layer on the 2048-d encoder output, batch 512, SGD lr 5, wd 0, 100 epochs, lr x 0.2 at 60 / 75 / 90.
_base_ = ['../cifar10/resnet50_linear-sgd-lr5-steplr-100e_cifar10.py']
model = dict(head=dict(num_classes=100))
data_preprocessor = dict(num_classes=100, mean=[129.3105, 124.1085, 112.404], std=[68.2125, 65.4075, 70.4055])
train_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(_delete_=True, type='CIFAR100', data_root='data/cifar100', split='train', pipeline=train_pipeline)
)
val_dataloader = dict(
    dataset=dict(
        _delete_=True, type='CIFAR100', data_root='data/cifar100', split='test', pipeline=[dict(type='PackInputs')]
    )
)
test_dataloader = val_dataloader
