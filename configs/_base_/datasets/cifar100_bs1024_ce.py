# CIFAR-100 for the cross-entropy baseline of SupCon: one view per image with the stage-1 augmentation
# and SupContrast's CIFAR-100 normalisation; validation on the test split, online kNN as for SupCon.
_base_ = ['./cifar100_bs1024_supcon.py']
data_preprocessor = dict(
    _delete_=True,
    type='ClsDataPreprocessor',
    num_classes=100,
    mean=[129.3105, 124.1085, 112.404],
    std=[68.2125, 65.4075, 70.4055],
    to_rgb=False,  # mmpretrain's CIFAR100 yields RGB
)
train_dataloader = dict(dataset=dict(pipeline={{_base_.ce_train_pipeline}}))
val_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        _delete_=True, type='CIFAR100', data_root='data/cifar100', split='test', pipeline=[dict(type='PackInputs')]
    ),
)
# The classifier is validated by its own top-1 (replacing the pre-training bases' kNN loop); tools/test.py
# still reports the kNN of its backbone (the test loop of cifar10_bs256_simclr.py).
val_evaluator = dict(_delete_=True, type='Accuracy', topk=(1, 5))
val_cfg = dict(_delete_=True)
