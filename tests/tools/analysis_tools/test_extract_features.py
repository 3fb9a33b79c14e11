"""tools/analysis_tools/extract_features.py on the embedded digits: rows, names and labels, both formats."""

import csv
import json

import numpy as np
import pytest

from tests.helpers import config_path

DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


@pytest.fixture(scope='module')
def direct_features(trained_checkpoint):
    """Features of the digits test split computed straight from the package, with the trained backbone."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from mmssl_ext.evaluation import extract_backbone_features
    from mmssl_ext.registry import MODELS
    from mmssl_ext.utils import register_all_modules

    _, backbone_state = trained_checkpoint
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(DEMO)
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
        model.backbone.load_state_dict(backbone_state)
        loader = Runner.build_dataloader(dict(cfg.knn_query_dataloader, batch_size=64))
        feats, labels = extract_backbone_features(model, loader)
    return (
        feats.numpy(),
        labels.numpy(),
        [int(loader.dataset.get_data_info(i)['gt_label']) for i in range(len(loader.dataset))],
    )


def test_npy_rows_names_and_labels_match_the_dataset(trained_checkpoint, direct_features, tmp_path):
    from tools.analysis_tools.extract_features import main

    ckpt, _ = trained_checkpoint
    feats, labels, dataset_labels = direct_features
    out = tmp_path / 'feats.npy'
    written = main([DEMO, ckpt, '--out', str(out), '--batch-size', '64'])
    assert written == [str(out), str(tmp_path / 'feats.json')]
    matrix = np.load(out)
    assert matrix.dtype == np.float32
    assert matrix.shape == (len(dataset_labels), 512)  # ResNet-18 width, one row per test image
    np.testing.assert_allclose(matrix, feats, atol=1e-5)
    meta = json.loads((tmp_path / 'feats.json').read_text())
    assert meta['classes'] == [str(i) for i in range(10)]
    assert [r['index'] for r in meta['rows']] == list(range(len(dataset_labels)))  # digits have no paths
    assert [r['label'] for r in meta['rows']] == dataset_labels == labels.tolist()
    # The checkpoint's weights are used: a random backbone gives other features.
    random_out = tmp_path / 'random.npy'
    main([DEMO, 'random', '--out', str(random_out), '--batch-size', '64'])
    assert not np.allclose(np.load(random_out), matrix, atol=1e-3)


def test_csv_rows_match_the_npy_output(trained_checkpoint, direct_features, tmp_path):
    from tools.analysis_tools.extract_features import main

    ckpt, _ = trained_checkpoint
    feats, _, dataset_labels = direct_features
    out = tmp_path / 'feats.csv'
    assert main([DEMO, ckpt, '--out', str(out), '--batch-size', '128']) == [str(out)]
    with open(out, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[:3] == ['index', 'label', 'f0'] and len(header) == 2 + 512
    assert len(body) == len(dataset_labels)
    assert [int(r[0]) for r in body] == list(range(len(body)))
    assert [int(r[1]) for r in body] == dataset_labels
    values = np.array([[float(v) for v in r[2:]] for r in body], dtype=np.float32)
    np.testing.assert_allclose(values, feats, atol=1e-5)


def test_unknown_extension_fails_before_extraction(tmp_path):
    from tools.analysis_tools.extract_features import main

    with pytest.raises(ValueError, match=r"--out must end in one of \['.npy', '.csv'\], got '.*feats.txt'"):
        main([DEMO, 'does-not-exist.pth', '--out', str(tmp_path / 'feats.txt')])
    assert not list(tmp_path.iterdir())


def test_subset_rows_keep_their_split_index_and_label():
    from mmssl_ext.datasets import DigitsDataset
    from tools.analysis_tools.extract_features import extract_split_features

    split = DigitsDataset(split='test')
    table = extract_split_features(DEMO, 'random', max_samples=7, batch_size=4, progress=False)
    assert table.features.shape == (7, 512)
    expected = [int(i * len(split) / 7) for i in range(7)]  # spread evenly over the split
    assert table.names == expected and table.name_field == 'index'
    assert table.labels.tolist() == [split.get_data_info(i)['gt_label'] for i in expected]


def test_paths_are_written_when_the_dataset_has_them(tmp_path):
    from tools.analysis_tools.extract_features import FeatureTable, row_names, write_features

    class PathDataset:
        def __len__(self):
            return 2

        def get_data_info(self, i):
            return {'img_path': f'img/{i}.jpg', 'gt_label': i}

    assert row_names(PathDataset(), [5, 9]) == (['img/0.jpg', 'img/1.jpg'], 'path')
    table = FeatureTable(np.full((2, 3), 0.5, np.float32), np.array([0, 1]), ['a.jpg', 'b.jpg'], 'path', ['x', 'y'])
    write_features(table, str(tmp_path / 'p.csv'))
    assert (tmp_path / 'p.csv').read_text().splitlines() == [
        'path,label,f0,f1,f2',
        'a.jpg,0,0.5,0.5,0.5',
        'b.jpg,1,0.5,0.5,0.5',
    ]
    write_features(table, str(tmp_path / 'p.npy'))
    meta = json.loads((tmp_path / 'p.json').read_text())
    assert meta == {'classes': ['x', 'y'], 'rows': [{'path': 'a.jpg', 'label': 0}, {'path': 'b.jpg', 'label': 1}]}


def test_bad_arguments_name_what_is_expected():
    from tools.analysis_tools.extract_features import extract_split_features

    with pytest.raises(ValueError, match='max_samples must be >= 1'):
        extract_split_features(DEMO, 'random', max_samples=0)
    with pytest.raises(KeyError, match=r"defines none of \['knn_bank_dataloader'\] for split 'train'"):
        extract_split_features(DEMO, 'random', split='train', cfg_options={'knn_bank_dataloader': None})


@pytest.fixture(scope='module')
def digits_folders(tmp_path_factory):
    """The digits test split written as PNG files: ``classes/<digit>/<index>.png`` and ``flat/<index>.png``."""
    from PIL import Image

    from mmssl_ext.datasets import DigitsDataset

    root = tmp_path_factory.mktemp('digit_images')
    dataset = DigitsDataset(split='test', img_size=32, pipeline=[])
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        for path in (root / 'classes' / f'digit{info["gt_label"]}' / f'{i:04d}.png', root / 'flat' / f'{i:04d}.png'):
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(info['img']).save(path)
    return root


def _index_of(path):
    return int(path.rsplit('/', 1)[-1].split('.')[0])


def test_folder_with_class_subfolders_gives_labelled_features(
    trained_checkpoint, direct_features, digits_folders, tmp_path
):
    from tools.analysis_tools.extract_features import main

    ckpt, _ = trained_checkpoint
    feats_ref, _, labels_ref = direct_features
    out = tmp_path / 'classes.csv'
    main([DEMO, ckpt, '--out', str(out), '--folder', str(digits_folders / 'classes'), '--img-size', '32'])
    with open(out, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ['path', 'label']
    assert len(rows) - 1 == len(labels_ref)
    for row in rows[1:]:
        i = _index_of(row[0])
        assert int(row[1]) == labels_ref[i]  # the sub-folder digit<k> is class index k (sorted names)
        np.testing.assert_allclose(np.asarray(row[2:], dtype=np.float32), feats_ref[i], atol=1e-5)


@pytest.mark.parametrize('variant', ['flat', 'no-labels'])
def test_unlabelled_folder_gives_features_with_label_minus_one(
    trained_checkpoint, direct_features, digits_folders, tmp_path, variant
):
    from tools.analysis_tools.extract_features import main

    ckpt, _ = trained_checkpoint
    feats_ref = direct_features[0]
    out = tmp_path / 'flat.npy'
    folder = digits_folders / ('flat' if variant == 'flat' else 'classes')
    extra = ['--no-labels'] if variant == 'no-labels' else []
    main([DEMO, ckpt, '--out', str(out), '--folder', str(folder), '--img-size', '32', *extra])
    feats = np.load(out)
    with open(tmp_path / 'flat.json', encoding='utf-8') as f:
        meta = json.load(f)
    assert meta['classes'] is None
    assert {r['label'] for r in meta['rows']} == {-1}
    order = [_index_of(r['path']) for r in meta['rows']]
    np.testing.assert_allclose(feats, feats_ref[order], atol=1e-5)


def test_folder_errors_name_the_option(tmp_path):
    from tools.analysis_tools.extract_features import folder_has_class_subfolders, folder_loader_cfg

    with pytest.raises(FileNotFoundError, match='--folder'):
        folder_has_class_subfolders(str(tmp_path / 'nope'))
    with pytest.raises(ValueError, match='--img-size must be >= 1, got 0'):
        folder_loader_cfg(str(tmp_path), 0, False)


def test_progress_bar_on_stderr_unless_no_progress(trained_checkpoint, tmp_path, capfd):
    from tools.analysis_tools.extract_features import main

    ckpt, _ = trained_checkpoint
    main([DEMO, ckpt, '--out', str(tmp_path / 'a.npy'), '--batch-size', '128'])
    shown = capfd.readouterr()
    assert 'extract test' in shown.err and 'batch' in shown.err  # tqdm: "extract test: ... batch/s"
    main([DEMO, ckpt, '--out', str(tmp_path / 'b.npy'), '--batch-size', '128', '--no-progress'])
    quiet = capfd.readouterr()
    assert 'extract test' not in quiet.err
    assert 'extract_features: ' in quiet.out  # the summary line stays
    np.testing.assert_allclose(np.load(tmp_path / 'a.npy'), np.load(tmp_path / 'b.npy'), atol=1e-6)
