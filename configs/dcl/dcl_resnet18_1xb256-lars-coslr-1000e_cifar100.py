# DCL on SimCLR, CIFAR-100: the CIFAR-10 DCL settings on ../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar100.py.
_base_ = ['../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar100.py']

model = dict(
    type='DCL',
    loss=dict(
        _delete_=True, type='DCLLoss', temperature=0.2, weight_fn=None, reduction='mean', gather_distributed=True
    ),
)
