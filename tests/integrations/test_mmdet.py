"""The mmdet integration: mmdet's ``type='Pretrained'`` becomes CheckedPretrainedInit only where it is imported."""


def test_mmdet_gets_the_checked_loader_only_where_the_integration_is_imported():
    import subprocess
    import sys

    from tests.helpers import ROOT

    code = (
        'import mmssl_ext.models, mmssl_ext.engine; from mmdet.registry import WEIGHT_INITIALIZERS as W; '
        "print(W.get('Pretrained').__name__); import mmssl_ext.integrations.mmdet; print(W.get('Pretrained').__name__)"
    )
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.stdout.split() == ['PretrainedInit', 'CheckedPretrainedInit'], out.stderr[-2000:]
