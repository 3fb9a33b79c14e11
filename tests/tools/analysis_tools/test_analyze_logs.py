"""tools/analysis_tools/analyze_logs.py on synthetic scalars.json files with known rows."""

import json
import os

import pytest

from tools.analysis_tools.analyze_logs import cal_train_time, load_curves, main, resolve_scalars

KNN0 = {'knn/top1': 20.0, 'knn/top5': 70.0, 'step': 0}
TRAIN = [
    {'lr': 0.4, 'loss': 6.5, 'loss_base': 6.0, 'time': 9.0, 'iter': 10, 'step': 10},
    {'lr': 0.39, 'loss': 6.1, 'loss_base': 5.7, 'time': 2.0, 'iter': 20, 'step': 20},
    {'lr': 0.38, 'loss': 5.8, 'loss_base': 5.5, 'time': 4.0, 'iter': 30, 'step': 30},
]
KNN30 = {'knn/top1': 35.5, 'knn/top5': 81.0, 'step': 30}
ROWS = [KNN0, *TRAIN, KNN30]


def write_scalars(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows) + '\n')
    return str(path)


def test_load_curves_returns_the_written_rows(tmp_path):
    path = write_scalars(tmp_path / 'scalars.json', ROWS)
    curves = load_curves(path, ['loss', 'loss_base', 'knn/top1'])
    assert curves['loss'] == ([10, 20, 30], [6.5, 6.1, 5.8])
    assert curves['loss_base'] == ([10, 20, 30], [6.0, 5.7, 5.5])
    assert curves['knn/top1'] == ([0, 30], [20.0, 35.5])


def test_missing_key_names_it_and_lists_the_keys_present(tmp_path):
    path = write_scalars(tmp_path / 'scalars.json', ROWS)
    with pytest.raises(KeyError, match="'knn/top10' is in no row") as info:
        load_curves(path, ['loss', 'knn/top10'])
    assert 'keys present: knn/top1, knn/top5, loss, loss_base, lr, time' in str(info.value)
    with pytest.raises(KeyError, match='knn/top10'):
        main(['plot_curve', path, '--keys', 'knn/top10', '--out', str(tmp_path / 'x.png')])
    assert not (tmp_path / 'x.png').exists()


def test_work_dir_resolves_to_newest_scalars(tmp_path):
    old = write_scalars(tmp_path / 'run' / '20260101_000000' / 'vis_data' / 'scalars.json', ROWS)
    new = write_scalars(tmp_path / 'run' / '20250101_000000' / 'vis_data' / 'scalars.json', [KNN0, TRAIN[0]])
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    assert resolve_scalars(str(tmp_path / 'run')) == new  # newest by mtime, not by folder name
    assert load_curves(str(tmp_path / 'run'), ['loss']) == {'loss': ([10], [6.5])}
    with pytest.raises(FileNotFoundError, match='neither a scalars.json file nor a work dir'):
        resolve_scalars(str(tmp_path / 'missing'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='holds no'):
        resolve_scalars(str(tmp_path / 'empty'))


def test_plot_curve_writes_a_valid_png_for_several_runs(tmp_path, capsys):
    import matplotlib.image as mpimg

    a = write_scalars(tmp_path / 'a' / 'scalars.json', ROWS)
    b = write_scalars(tmp_path / 'b' / 'scalars.json', [KNN0, TRAIN[0], KNN30])
    out = tmp_path / 'curve.png'
    main(['plot_curve', a, b, '--keys', 'loss', 'knn/top1', '--legend', 'a-loss', 'a-knn', 'b-loss', 'b-knn',
          '--title', 'T', '--out', str(out)])  # fmt: skip
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    img = mpimg.imread(str(out))
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img.std() > 0  # something was drawn
    assert 'saved' in capsys.readouterr().out
    with pytest.raises(ValueError, match='--legend needs 4 labels'):
        main(['plot_curve', a, b, '--keys', 'loss', 'knn/top1', '--legend', 'x', '--out', str(out)])


def test_cal_train_time_prints_mean_slowest_fastest(tmp_path, capsys):
    path = write_scalars(tmp_path / 'scalars.json', ROWS)
    stats = cal_train_time(path, include_outliers=True)
    assert stats['mean'] == pytest.approx(5.0)
    assert (stats['slowest_step'], stats['slowest'], stats['fastest_step'], stats['fastest']) == (10, 9.0, 20, 2.0)
    main(['cal_train_time', path])  # first timed row (9.0) dropped as warm-up
    out = capsys.readouterr().out
    assert 'average iter time: 3.0000 s/iter' in out
    assert 'slowest iter 30, time is 4.0000 s' in out
    assert 'fastest iter 20, time is 2.0000 s' in out
    main(['cal_train_time', path, '--include-outliers'])
    assert 'average iter time: 5.0000 s/iter' in capsys.readouterr().out
    no_time = write_scalars(tmp_path / 'k.json', [KNN0, KNN30])
    with pytest.raises(ValueError, match='no rows with "time"'):
        cal_train_time(no_time)
