"""tools/misc/verify_dataset.py: reports exactly the unreadable images of a config's datasets, with its exit status."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers import smoke_cfg
from tools.misc import verify_dataset


def _write_images(root: Path) -> None:
    """Four small real images (PNG and JPEG) in two class folders."""
    rng = np.random.RandomState(0)
    for i, (cls, ext) in enumerate([('cat', 'png'), ('cat', 'jpg'), ('dog', 'png'), ('dog', 'jpeg')]):
        (root / cls).mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.randint(0, 256, (12, 10, 3), dtype=np.uint8)).save(root / cls / f'img{i}.{ext}')


def _truncated_png(path: Path) -> None:
    """The first 30 bytes of a valid PNG: a real header, no image data."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(buf, 'PNG')
    path.write_bytes(buf.getvalue()[:30])


def _folder_config(tmp_path: Path, data_root: Path) -> str:
    """A config whose train and test dataloaders read ``data_root`` with mmpretrain's CustomDataset."""
    cfg = tmp_path / 'folder_cfg.py'
    cfg.write_text(
        "default_scope = 'mmssl_ext'\n"
        "pipeline = [dict(type='LoadImageFromFile'), dict(type='RandomResizedCrop', scale=8), "
        "dict(type='PackInputs')]\n"
        f"dataset = dict(type='CustomDataset', data_root={str(data_root)!r}, pipeline=pipeline)\n"
        'train_dataloader = dict(batch_size=2, dataset=dataset)\n'
        'test_dataloader = dict(batch_size=2, dataset=dataset)\n'
    )
    return str(cfg)


def test_reports_exactly_the_corrupt_image(tmp_path, capsys):
    data = tmp_path / 'data'
    _write_images(data)
    broken = data / 'dog' / 'broken.png'
    _truncated_png(broken)
    out_list = tmp_path / 'bad.txt'
    status = verify_dataset.main([_folder_config(tmp_path, data), '--out-list', str(out_list)])
    out = capsys.readouterr().out
    assert status == 1
    assert 'train_dataloader: 5 images, 1 unreadable' in out
    assert 'test_dataloader: 5 images, 1 unreadable' in out
    lines = out_list.read_text().splitlines()
    assert [line.split('\t')[0] for line in lines] == [str(broken)] * 2
    assert all('CorruptImageError' in line.split('\t')[1] for line in lines)
    assert 'img0.png' not in out and 'img3.jpeg' not in out  # the good images are not listed


def test_split_selects_the_dataloaders_and_workers_find_the_same(tmp_path, capsys):
    data = tmp_path / 'data'
    _write_images(data)
    _truncated_png(data / 'cat' / 'broken.png')
    status = verify_dataset.main([_folder_config(tmp_path, data), '--split', 'test', '--num-workers', '2'])
    out = capsys.readouterr().out
    assert status == 1
    assert 'test_dataloader: 5 images, 1 unreadable' in out
    assert 'train_dataloader' not in out
    assert str(data / 'cat' / 'broken.png') in out


def test_good_images_exit_zero(tmp_path, capsys):
    data = tmp_path / 'data'
    _write_images(data)
    out_list = tmp_path / 'bad.txt'
    assert verify_dataset.main([_folder_config(tmp_path, data), '--out-list', str(out_list)]) == 0
    assert 'train_dataloader: 4 images, 0 unreadable' in capsys.readouterr().out
    assert out_list.read_text() == ''


def test_missing_split_exits_two_naming_the_keys(tmp_path, capsys):
    data = tmp_path / 'data'
    _write_images(data)
    assert verify_dataset.main([_folder_config(tmp_path, data), '--split', 'val']) == 2
    assert 'val_dataloader, val_evaluator' in capsys.readouterr().err


def test_shipped_config_on_digits_has_no_unreadable_image(tmp_path, capsys):
    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path / 'run')
    path = str(tmp_path / 'digits.py')
    cfg.dump(path)
    assert verify_dataset.main([path]) == 0
    out = capsys.readouterr().out
    assert 'train_dataloader: 16 images, 0 unreadable' in out  # 2 iterations x batch 8
    assert 'custom_hooks.0.bank_dataloader: 16 images, 0 unreadable' in out  # the kNN hook's sets are checked too
    assert 'custom_hooks.0.query_dataloader: 16 images, 0 unreadable' in out


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="split must be one of .*'train'"):
        verify_dataset.find_dataloaders(smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', 'w'), ['trian'])
