"""BadSamplePolicyDataset: a corrupt or missing image stops the run naming the file, or is skipped, counted, bounded."""

import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmssl_ext.datasets import CIFAR10_CLASSES, BadSamplePolicyDataset, CIFAR10Folder, TooManyBadSamplesError

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


def _folder(tmp_path, bad=(3, 7)):
    """Ten 32 x 32 images, one per class, pixel value 20 x class; the images at ``bad`` are corrupt."""
    import cv2

    for idx, name in enumerate(CIFAR10_CLASSES):
        path = str(tmp_path / 'train' / name / f'{idx:04d}.jpg')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, np.full((32, 32, 3), idx * 20, dtype=np.uint8))
        if idx in bad:
            with open(path, 'wb') as f:
                f.write(b'\xff\xd8\xff\xe0 not a jpeg body')
    return dict(type='CIFAR10Folder', data_root=str(tmp_path), data_prefix='train', pipeline=PIPELINE)


def _value(sample):
    return int(sample['inputs'].float().mean().round())


def test_fail_is_the_default_and_names_the_file(tmp_path):
    cfg = _folder(tmp_path)
    for ds in (CIFAR10Folder(**{k: v for k, v in cfg.items() if k != 'type'}), BadSamplePolicyDataset(cfg)):
        assert _value(ds[2]) == 40
        with pytest.raises(Exception, match=r'0003\.jpg'):
            ds[3]


def test_skip_returns_the_next_good_sample_and_lists_the_files(tmp_path):
    ds = BadSamplePolicyDataset(_folder(tmp_path), policy='skip', max_fraction=0.2)
    values = [_value(ds[i]) for i in range(len(ds))]
    # 3 -> 4 and 7 -> 8 (next in index order, deterministic), every good image as it is
    assert values == [0, 20, 40, 80, 80, 100, 120, 160, 160, 180]
    assert sorted(osp.basename(p) for p in ds.skipped.values()) == ['0003.jpg', '0007.jpg']
    assert ds.get_gt_labels().tolist() == list(range(10))  # the wrapped dataset's API passes through
    loader = torch.utils.data.DataLoader(ds, batch_size=5, num_workers=2, collate_fn=lambda b: [_value(s) for s in b])
    assert sorted(v for batch in loader for v in batch) == sorted(values)


def test_skip_stops_beyond_the_allowed_fraction(tmp_path):
    ds = BadSamplePolicyDataset(_folder(tmp_path), policy='skip', max_fraction=0.1)  # 1 of 10 allowed
    assert _value(ds[3]) == 80
    with pytest.raises(TooManyBadSamplesError, match=r'2 bad samples, more than max_fraction=0\.1 of 10 \(1\).*0007'):
        ds[7]


def test_skip_does_not_hide_errors_that_are_not_bad_files():
    class Broken(torch.utils.data.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, index):
            raise KeyError('gt_label')  # a pipeline or config bug, not a bad file

    ds = BadSamplePolicyDataset(Broken(), policy='skip', max_fraction=0.5)
    with pytest.raises(KeyError, match='gt_label'):
        ds[0]
    assert ds.skipped == {}


@pytest.mark.parametrize(
    'kwargs, match',
    [(dict(policy='ignore'), "policy must be 'fail' or 'skip', got 'ignore'"), (dict(max_fraction=1.0), r'\[0, 1\)')],
)
def test_bad_settings_are_named(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        BadSamplePolicyDataset(_folder(tmp_path, bad=()), **kwargs)
