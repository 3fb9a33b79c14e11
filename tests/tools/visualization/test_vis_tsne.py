"""tools/visualization/vis_tsne.py on the embedded digits: a readable PNG of the asked size, clear errors."""

import importlib.util

import numpy as np
import pytest

from tests.helpers import config_path

DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def test_tsne_png_of_a_trained_checkpoint(trained_checkpoint, tmp_path, capfd):
    import matplotlib.image as mpimg

    from tools.visualization.vis_tsne import main

    ckpt, _ = trained_checkpoint
    out = tmp_path / 'maps' / 'tsne.png'
    args = [DEMO, ckpt, '--out', str(out), '--max-samples', '200', '--batch-size', '100', '--dpi', '50']
    assert main(args) == str(out)
    assert 'extract test' in capfd.readouterr().err  # the extraction's progress bar, on stderr
    image = mpimg.imread(str(out))  # fails on anything but a valid PNG
    assert image.shape[:2] == (400, 450)  # 9 x 8 inches at 50 dpi
    assert image.shape[2] in (3, 4)
    assert image[..., :3].std() > 0.05  # points and legend were drawn, not a blank canvas


def test_embed_2d_separates_clusters_and_is_seeded():
    from tools.visualization.vis_tsne import embed_2d

    rng = np.random.RandomState(0)
    feats = np.concatenate([rng.randn(30, 8), rng.randn(30, 8) + 20.0]).astype(np.float32)
    coords = embed_2d(feats, 'tsne', perplexity=10, seed=3)
    assert coords.shape == (60, 2)
    gap = np.linalg.norm(coords[:30].mean(0) - coords[30:].mean(0))
    spread = max(coords[:30].std(0).max(), coords[30:].std(0).max())
    assert gap > 2 * spread  # the two blobs stay apart in 2-D
    np.testing.assert_allclose(embed_2d(feats, 'tsne', perplexity=10, seed=3), coords)
    with pytest.raises(ValueError, match=r'--perplexity must be in \(0, 60\) for 60 samples, got 60'):
        embed_2d(feats, 'tsne', perplexity=60)


def test_embed_2d_umap_separates_clusters_and_is_seeded():
    pytest.importorskip('umap')
    from tools.visualization.vis_tsne import embed_2d

    rng = np.random.RandomState(0)
    feats = np.concatenate([rng.randn(40, 8), rng.randn(40, 8) + 20.0]).astype(np.float32)
    coords = embed_2d(feats, 'umap', perplexity=10, seed=3)
    assert coords.shape == (80, 2)
    gap = np.linalg.norm(coords[:40].mean(0) - coords[40:].mean(0))
    spread = max(coords[:40].std(0).max(), coords[40:].std(0).max())
    assert gap > 2 * spread
    np.testing.assert_allclose(embed_2d(feats, 'umap', perplexity=10, seed=3), coords)


def test_umap_png_of_a_checkpoint(tmp_path, capfd):
    import matplotlib.image as mpimg

    pytest.importorskip('umap')
    from tools.visualization.vis_tsne import main

    out = tmp_path / 'umap.png'
    args = [DEMO, 'random', '--out', str(out), '--method', 'umap', '--max-samples', '200', '--dpi', '50']
    assert main([*args, '--no-progress']) == str(out)
    assert 'extract test' not in capfd.readouterr().err  # --no-progress: no bar over the extraction
    image = mpimg.imread(str(out))
    assert image.shape[:2] == (400, 450)
    assert image[..., :3].std() > 0.05


def test_umap_without_umap_learn_names_the_package(tmp_path, monkeypatch):
    from tools.visualization.vis_tsne import main

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda name, *a: None if name == 'umap' else real_find_spec(name, *a)
    )
    out = tmp_path / 'umap.png'
    with pytest.raises(ImportError, match='pip install umap-learn'):
        main([DEMO, 'random', '--out', str(out), '--method', 'umap', '--max-samples', '200'])
    assert not out.exists()


def test_bad_arguments_name_what_is_expected(tmp_path):
    from tools.visualization.vis_tsne import main

    with pytest.raises(ValueError, match=r"--method must be one of \['tsne', 'umap'\], got 'pca'"):
        main([DEMO, 'random', '--out', str(tmp_path / 'a.png'), '--method', 'pca'])
    with pytest.raises(ValueError, match="--out must end in .png, got '.*a.jpg'"):
        main([DEMO, 'random', '--out', str(tmp_path / 'a.jpg')])


def test_tsne_of_an_unlabelled_folder_draws_one_colour(tmp_path, capsys):
    import matplotlib.image as mpimg
    from PIL import Image

    from mmssl_ext.datasets import DigitsDataset
    from tools.visualization.vis_tsne import main

    dataset = DigitsDataset(split='test', img_size=32, pipeline=[])
    folder = tmp_path / 'images'
    folder.mkdir()
    for i in range(60):
        Image.fromarray(dataset.get_data_info(i)['img']).save(folder / f'{i}.png')
    out = tmp_path / 'map.png'
    args = [DEMO, 'random', '--out', str(out), '--folder', str(folder), '--perplexity', '10', '--dpi', '50']
    assert main(args) == str(out)
    assert 'no labels' in capsys.readouterr().out
    image = mpimg.imread(str(out))[..., :3]
    assert image.shape[:2] == (400, 450)
    assert image.std() > 0.02
    # One colour: apart from white, grey/black axes and text, every coloured pixel has tab:blue's hue (edges blend
    # with white, which keeps the hue).
    from matplotlib.colors import rgb_to_hsv

    hsv = rgb_to_hsv(image.reshape(-1, 3).clip(0, 1))
    hues = hsv[hsv[:, 1] > 0.2, 0]
    assert len(hues) > 50
    blue_hue = rgb_to_hsv(np.array([31, 119, 180]) / 255.0)[0]
    assert np.mean(np.abs(hues - blue_hue) < 0.02) > 0.98
