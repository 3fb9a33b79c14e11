"""knn_eval.py under a launcher: 2 gloo processes, each holding half of the bank, give the one-process JSON
exactly; the extraction shows one progress line with ETA (none with --no-progress)."""

import json
import os

import pytest
import torch

from tests.helpers import config_path, spawn_ranks

DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')
# odd sizes: uneven shards; k=150 is more than a rank's half of the bank; 16-query chunks: several rounds
ARGS = [DEMO, 'random', '--bank-size', '201', '--query-size', '101', '--k', '150', '--batch-size', '32']
ARGS += ['--query-chunk', '16', '--seed', '0']


def _worker(rank, port, out_dir):
    os.environ.update(
        MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE='2', LOCAL_RANK=str(rank)
    )
    os.environ['CUDA_VISIBLE_DEVICES'] = ''  # the gloo path, also on a GPU machine
    torch.set_num_threads(1)
    import tools.analysis_tools.knn_eval as tool

    held = {}
    vote = tool.sharded_knn_predict

    def spy(query, bank, *args, **kwargs):
        held.update(bank=len(bank), query=len(query))
        return vote(query, bank, *args, **kwargs)

    tool.sharded_knn_predict = spy
    metrics = tool.main([*ARGS, '--launcher', 'pytorch', '--no-progress', '--out', os.path.join(out_dir, 'two.json')])
    torch.save(dict(metrics=metrics, **held), os.path.join(out_dir, f'rank{rank}.pt'))


@pytest.mark.dist  # 2 processes
def test_two_processes_each_with_half_the_bank_give_the_one_process_json(tmp_path):
    from mmssl_ext.evaluation import KNNAccuracy
    from tools.analysis_tools.knn_eval import main, split_features

    one = main([*ARGS, '--no-progress', '--out', str(tmp_path / 'one.json')])
    one_json = json.loads((tmp_path / 'one.json').read_text())
    assert one_json == {**one, 'world_size': 1}
    assert 20.0 < one['knn/top1'] < 100.0  # a figure that can be wrong
    # the chunked path gives what the one-bank metric gives on the same features
    torch.manual_seed(0)
    bank, bank_labels, query, query_labels, _ = split_features(DEMO, 'random', 201, 101, 32)
    assert KNNAccuracy(k=150, temperature=0.1).score(bank, bank_labels, query, query_labels) == one

    ranks = spawn_ranks(_worker, tmp_path, weights_only=False)
    two_json = json.loads((tmp_path / 'two.json').read_text())
    assert two_json == {**one, 'world_size': 2}  # exactly, not approximately
    assert [r['metrics'] for r in ranks] == [one, one]  # every rank returns the figures
    # every other image on each rank, no padding duplicate, and no rank holds the whole bank
    assert [(r['bank'], r['query']) for r in ranks] == [(101, 51), (100, 50)]


def test_progress_bar_with_eta_is_one_line_on_stderr(capsys):
    from tools.analysis_tools.knn_eval import main

    args = [DEMO, 'random', '--bank-size', '60', '--query-size', '30', '--k', '10', '--batch-size', '20']
    metrics = main(args)
    out, err = capsys.readouterr()
    bars = [line for line in err.split('\n') if 'ETA' in line]  # '\r' redraws the bar within its line
    assert len(bars) == 1, err
    assert '90/90' in bars[0] and 'elapsed' in bars[0]  # done/total, elapsed and ETA, updated in place
    assert json.loads(out.strip().splitlines()[-1]) == dict(checkpoint='random', k=10, temperature=0.1, **metrics)
    main([*args, '--no-progress'])
    assert 'ETA' not in capsys.readouterr().err
