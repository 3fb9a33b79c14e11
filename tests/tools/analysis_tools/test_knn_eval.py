"""tools/analysis_tools/knn_eval.py on real (embedded) data: full and backbone checkpoints, mismatches."""

import pytest
import torch

from tests.helpers import config_path

DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def test_knn_eval_tool_loads_full_and_backbone_checkpoints(trained_checkpoint, tmp_path):
    from tools.analysis_tools.knn_eval import knn_eval
    from tools.model_converters.extract_backbone_weights import main as extract

    ckpt, _ = trained_checkpoint
    full = knn_eval(DEMO, ckpt, k=20, bank_size=200, query_size=100)
    out = str(tmp_path / 'backbone.pth')
    extract([ckpt, out])
    stripped = knn_eval(DEMO, out, k=20, bank_size=200, query_size=100)
    assert full == stripped  # the same weights give the same votes
    assert 10.0 < full['knn/top1'] <= 100.0  # real digits: far above chance


def test_knn_eval_rejects_mismatched_checkpoint(tmp_path):
    from tools.analysis_tools.knn_eval import knn_eval

    bad = str(tmp_path / 'bad.pth')
    torch.save({'state_dict': {'backbone.layer9.weight': torch.zeros(1)}}, bad)
    with pytest.raises(KeyError, match='does not match the config'):
        knn_eval(DEMO, bad, bank_size=10, query_size=10)
