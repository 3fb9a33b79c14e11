# SimSiam + feature augmentation, ResNet-18 (CIFAR stem), CIFAR-10: the plain SimSiam config (solo-learn's recipe,
# configs/simsiam) with feat_aug. Feature augmentation [unverified design]: dropout on the stop-gradient branch
# with stop-gradient on the augmenter's input; L = L_simsiam + 1.0 * L_aug.
_base_ = ['../simsiam/simsiam_resnet18_1xb256-coslr-1000e_cifar10.py']
model = dict(
    type='SimSiam',
    head=dict(
        _delete_=True,
        type='FeatAugHead',
        head={{_base_.model.head}},
        feat_aug=dict(
            augmenters=[dict(type='FeatureDropout', p=0.2, on=('target',))],
            loss_weight=1.0,
            detach_input=True,
            detach_output=False,
        ),
    ),
)
