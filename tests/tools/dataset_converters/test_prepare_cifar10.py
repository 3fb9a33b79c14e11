"""tools/dataset_converters/prepare_cifar10.py: extracts, is idempotent, verifies the archives' SHA-256."""

import os
import tarfile

import numpy as np
import pytest


def test_prepare_cifar10_extracts_and_verifies(tmp_path):
    import cv2

    from tools.dataset_converters.prepare_cifar10 import CLASSES, prepare

    src = tmp_path / 'src'
    src.mkdir()
    for split in ('train', 'test'):
        staging = tmp_path / 'stage' / split
        for i, name in enumerate(CLASSES):
            os.makedirs(staging / name)
            cv2.imwrite(str(staging / name / '0000.jpg'), np.full((32, 32, 3), i * 20, np.uint8))
        with tarfile.open(src / f'cifar10-jpg-{split}.tar.gz', 'w:gz') as tar:
            tar.add(str(staging), arcname=split)
    out = tmp_path / 'out'
    prepare(str(src), str(out))
    assert sorted(os.listdir(out / 'train')) == sorted(CLASSES)
    prepare(str(src), str(out))  # idempotent
    (src / 'SHA256SUMS').write_text('0' * 64 + '  cifar10-jpg-train.tar.gz\n')
    import shutil

    shutil.rmtree(out / 'train')
    with pytest.raises(ValueError, match='SHA-256 does not match'):
        prepare(str(src), str(out))
