"""tools/analysis_tools/linear_probe.py: the linear probe on a backbone's frozen features (and its kNN option)."""

import json

import pytest
import torch

from tests.helpers import config_path

DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def test_linear_probe_tool_on_digits_with_a_random_backbone(tmp_path, monkeypatch):
    import tools.analysis_tools.knn_eval as shared
    import tools.analysis_tools.linear_probe as tool

    calls = []
    extract = shared.extract_backbone_features

    def spy(model, loader, normalize=True):
        feats, labels = extract(model, loader, normalize=normalize)
        calls.append(dict(normalize=normalize, norms=feats.norm(dim=1)))
        return feats, labels

    monkeypatch.setattr(shared, 'extract_backbone_features', spy)
    torch.manual_seed(0)  # the random backbone init draws from the global RNG
    metrics = tool.linear_probe_eval(DEMO, 'random', bank_size=300, query_size=150, epochs=10)
    assert set(metrics) == {'linear/top1', 'linear/top5'}
    assert 0.0 <= metrics['linear/top1'] <= metrics['linear/top5'] <= 100.0
    # digits through a random-init ResNet-18 are far above the 10% chance level
    assert metrics['linear/top1'] > 50.0
    # raw pooled features, not L2-normalised, for the bank and the query split
    assert [c['normalize'] for c in calls] == [False, False]
    assert not torch.allclose(calls[0]['norms'], torch.ones_like(calls[0]['norms']))


def test_linear_probe_cli_loads_a_backbone_checkpoint_and_writes_json(tmp_path):
    from mmengine.config import Config

    from mmssl_ext.registry import MODELS
    from tools.analysis_tools.linear_probe import main

    cfg = Config.fromfile(DEMO)
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = str(tmp_path / 'backbone.pth')
    torch.save({'state_dict': model.backbone.state_dict()}, ckpt)
    args = [DEMO, ckpt, '--bank-size', '100', '--query-size', '50', '--epochs', '3', '--batch-size', '50']
    first = main([*args, '--out', str(tmp_path / 'probe.json')])
    assert json.loads((tmp_path / 'probe.json').read_text()) == first
    assert set(first) == {'linear/top1', 'linear/top5'}
    # same weights, eval-mode features and a seeded probe give the same figures; up to one of the 50
    # query samples of slack, as BLAS may sum in another order on a loaded machine (float noise)
    again = main(args)
    for key, value in first.items():
        assert again[key] == pytest.approx(value, abs=2.0), (first, again)


def test_with_knn_reports_the_knn_of_knn_eval_from_one_extraction(tmp_path):
    import tools.analysis_tools.linear_probe as tool
    from tools.analysis_tools.knn_eval import knn_eval

    torch.manual_seed(0)
    both = tool.linear_probe_eval(DEMO, 'random', bank_size=200, query_size=100, epochs=2, with_knn=True)
    torch.manual_seed(0)  # the same random backbone
    knn = knn_eval(DEMO, 'random', bank_size=200, query_size=100)
    assert set(both) == {'knn/top1', 'knn/top5', 'linear/top1', 'linear/top5'}
    assert both['knn/top1'] == pytest.approx(knn['knn/top1'], abs=1.0)  # one query of 100 may flip
    assert both['knn/top5'] == pytest.approx(knn['knn/top5'], abs=1.0)


def test_cli_seed_fixes_the_random_initialisation():
    from tools.analysis_tools import knn_eval, linear_probe

    args = [DEMO, 'random', '--bank-size', '120', '--query-size', '60']
    probes = [linear_probe.main([*args, '--epochs', '2', '--knn']) for _ in range(2)]
    assert probes[0] == probes[1]
    torch.manual_seed(123)  # the global state before the call must not matter
    knn = knn_eval.main([*args, '--seed', '0'])
    assert knn == {k: v for k, v in probes[0].items() if k.startswith('knn/')}
