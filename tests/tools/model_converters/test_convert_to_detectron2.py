"""ResNet to detectron2's .pkl layout: detectron2 names, plain pickle of numpy arrays, round trip."""

import pickle

import torch
from mmpretrain.models import ResNet

from tests.helpers.resnet import full_checkpoint as _full_checkpoint
from tests.helpers.resnet import random_resnet as _random_resnet


def test_detectron2_names_pickle_and_round_trip(tmp_path):
    from tools.model_converters.convert_to_detectron2 import d2_key, main

    model = _random_resnet(depth=50)
    state = model.state_dict()
    pkl = tmp_path / 'r50.pkl'
    main([_full_checkpoint(model, tmp_path / 'full.pth'), str(pkl)])
    with open(pkl, 'rb') as f:
        obj = pickle.load(f, encoding='latin1')  # how detectron2 reads .pkl weights
    assert obj['__author__'] == 'mmssl_ext' and obj['matching_heuristics'] is True
    names = set(obj['model'])
    for name in (
        'stem.conv1.weight',
        'stem.conv1.norm.running_var',
        'res2.0.conv1.weight',
        'res2.0.conv1.norm.bias',
        'res2.0.shortcut.weight',
        'res2.0.shortcut.norm.running_mean',
        'res3.3.conv3.norm.weight',
        'res4.5.conv2.weight',
        'res5.2.conv3.norm.running_var',
    ):
        assert name in names, name
    assert not any('layer' in n or 'bn' in n or 'downsample' in n or 'num_batches' in n for n in names)
    assert len(names) == sum(1 for k in state if not k.endswith('num_batches_tracked'))
    assert all(type(v).__module__ == 'numpy' for v in obj['model'].values())
    assert (obj['model'][d2_key('layer3.1.bn2.weight')] == state['layer3.1.bn2.weight'].numpy()).all()

    back = tmp_path / 'back.pth'
    main([str(pkl), str(back), '--reverse'])
    restored = torch.load(back, weights_only=True)['state_dict']
    expected = {k: v for k, v in state.items() if not k.endswith('num_batches_tracked')}
    assert set(restored) == set(expected)
    assert all(torch.equal(restored[k], v) for k, v in expected.items())
    loaded = ResNet(depth=50, out_indices=(3,))
    missing = loaded.load_state_dict(restored, strict=False).missing_keys
    assert all(k.endswith('num_batches_tracked') for k in missing)
