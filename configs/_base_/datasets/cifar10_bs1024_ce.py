# CIFAR-10 for the cross-entropy baseline of SupCon (SupContrast main_ce.py): one view per image with the
# stage-1 augmentation (RandomResizedCrop(32, scale (0.2, 1)), flip, ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8,
# grayscale p 0.2) and the same normalisation; validation on the test split every 10 epochs, plus the
# online kNN of the SupCon configs so that both report the same measures.
_base_ = ['./cifar10_bs1024_supcon.py']
data_preprocessor = dict(
    _delete_=True,
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False,
)
train_dataloader = dict(dataset=dict(pipeline={{_base_.ce_train_pipeline}}))
val_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        _delete_=True,
        type='CIFAR10AnyLayout',
        data_root='data/cifar10',
        split='test',
        pipeline={{_base_.test_pipeline}},
    ),
)
# The classifier is validated by its own top-1 (replacing the pre-training bases' kNN loop); tools/test.py
# still reports the kNN of its backbone (the test loop of cifar10_bs256_simclr.py).
val_evaluator = dict(_delete_=True, type='Accuracy', topk=(1, 5))
val_cfg = dict(_delete_=True)
