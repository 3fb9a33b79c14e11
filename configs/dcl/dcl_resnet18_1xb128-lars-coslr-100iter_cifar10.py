# DCL on the 100-iteration CPU budget of ../simclr/simclr_resnet18_1xb128-lars-coslr-100iter_cifar10.py
# (same recipe, batch, lr, seed and temperature; only the loss differs). Result: docs/benchmarks.md.
_base_ = ['../simclr/simclr_resnet18_1xb128-lars-coslr-100iter_cifar10.py']

model = dict(
    type='DCL',
    loss=dict(
        _delete_=True, type='DCLLoss', temperature=0.2, weight_fn=None, reduction='mean', gather_distributed=True
    ),
)
