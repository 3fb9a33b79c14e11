# DCL (Yeh et al., arXiv:2110.06848) on SimCLR, ResNet-18 CIFAR stem, CIFAR-10, 1000 epochs: the recipe of
# ../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py with the positive pair removed from the
# NT-Xent denominator. Temperature 0.2 and the mean over the two directions, as the SimCLR config, so
# that only the loss changes (README).
_base_ = ['../simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py']

model = dict(
    type='DCL',
    loss=dict(
        _delete_=True, type='DCLLoss', temperature=0.2, weight_fn=None, reduction='mean', gather_distributed=True
    ),
)
