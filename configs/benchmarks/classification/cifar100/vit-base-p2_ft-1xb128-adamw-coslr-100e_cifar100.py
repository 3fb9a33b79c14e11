# Fine-tuning of an APS ViT-B/2 on CIFAR-100 (mmpretrain's CIFAR100 on the python-pickle release, images decoded in
# memory): the CIFAR-10 recipe of ../cifar10/vit-base-p2_ft-1xb128-adamw-coslr-100e_cifar10.py with 100 classes.
_base_ = ['../cifar10/vit-base-p2_ft-1xb128-adamw-coslr-100e_cifar10.py']

num_classes = 100
model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CIFAR100',
        data_root='data/cifar100',
        split='train',
        pipeline={{_base_.decoded_train_pipeline}},
    )
)
val_dataloader = dict(
    dataset=dict(
        _delete_=True, type='CIFAR100', data_root='data/cifar100', split='test', pipeline=[dict(type='PackInputs')]
    )
)
test_dataloader = val_dataloader
