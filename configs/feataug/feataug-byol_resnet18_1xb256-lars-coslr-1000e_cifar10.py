# BYOL + feature augmentation, ResNet-18 (CIFAR stem), CIFAR-10: solo-learn's BYOL recipe (LARS 1.0, wd 1e-5,
# eta 0.02, BN/bias excluded, 10-epoch warm-up + cosine, 1000 epochs, asymmetric augmentations).
# Feature augmentation [unverified design, arXiv 2410.12396]: dropout on the target branch (the augmenter and
# the predictor act on different views), stop-gradient on the augmenter's input; L = L_byol + 1.0 * L_aug.
_base_ = [
    '../_base_/models/byol_resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs256_byol.py',
    '../_base_/schedules/cifar_lars_coslr_1000e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='BYOLFeatAug',
    feat_aug=dict(
        augmenters=[dict(type='FeatureDropout', p=0.2, on=('target',))],
        loss_weight=1.0,
        detach_input=True,
        detach_output=False,
    ),
)
optim_wrapper = dict(optimizer=dict(lr=1.0, weight_decay=1e-5))
