# BYOL + feature augmentation, ResNet-18 (CIFAR stem), CIFAR-10: the plain BYOL config (solo-learn's recipe,
# configs/byol) with feat_aug. Feature augmentation [unverified design, arXiv 2410.12396]: dropout on the target
# branch (the augmenter and the predictor act on different views), stop-gradient on the augmenter's input;
# L = L_byol + 1.0 * L_aug.
_base_ = ['../byol/byol_resnet18_1xb256-lars-coslr-1000e_cifar10.py']
model = dict(
    type='BYOL',
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
