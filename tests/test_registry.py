"""Registry chain: mmssl_ext -> mmpretrain -> mmengine; mmdet as a sibling scope."""

import importlib
import json
import os.path as osp
import subprocess
import sys

import mmpretrain.registry as mmp_registry
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmssl_ext import registry
from mmssl_ext.datasets import DigitsDataset
from mmssl_ext.engine import KNNEvalHook
from mmssl_ext.evaluation import KNNAccuracy
from tests.helpers import ROOT

CHILD_NODES = [name for name in registry.__all__ if name != 'FEATURE_AUGMENTERS']


def _registered_in_a_fresh_process():
    """``(node, name, module, class)`` of every entry that ``register_all_modules`` puts in our nodes."""
    code = (
        'import json; from mmssl_ext import registry; from mmssl_ext.utils import register_all_modules; '
        'register_all_modules(init_default_scope=False); '
        'print(json.dumps([[n, k, v.__module__, v.__qualname__, getattr(registry, n)._locations] '
        'for n in registry.__all__ for k, v in getattr(registry, n).module_dict.items()]))'
    )
    proc = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_registered_name_is_the_class_its_module_exports():
    entries = _registered_in_a_fresh_process()
    nodes = {node for node, *_ in entries}
    assert {'MODELS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'METRICS', 'FEATURE_AUGMENTERS'} <= nodes
    for node, name, module_name, qualname, locations in entries:
        module = importlib.import_module(module_name)
        obj = getattr(module, qualname)
        assert getattr(registry, node).get(name) is obj, (node, name)
        assert qualname in module.__all__, f'{module_name} registers {qualname} as {node}.{name} but does not export it'
        # filled by importing the registry's location: the lazy import of a config finds it
        assert any(module_name.startswith(location) for location in locations), (node, name, module_name)


def test_register_all_modules_resolves_simclr_to_our_class():
    from mmengine.registry import MODELS as ROOT_MODELS

    from mmssl_ext.models.algorithms import ContrastiveSimCLR
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py'))
    assert cfg.model.type == 'ContrastiveSimCLR'
    # built through MMEngine's root node: the default scope leads the name to the mmssl_ext node
    assert type(ROOT_MODELS.build(cfg.model)) is ContrastiveSimCLR
    assert type(registry.MODELS.build(cfg.model)) is ContrastiveSimCLR


@pytest.mark.parametrize('name', CHILD_NODES)
def test_every_node_is_a_child_of_mmpretrain(name):
    node = getattr(registry, name)
    assert node.scope == 'mmssl_ext'
    assert node.parent is getattr(mmp_registry, name)


def test_feature_augmenters_is_standalone_and_builds():
    node = registry.FEATURE_AUGMENTERS
    assert node.scope == 'mmssl_ext' and node.parent is None
    assert type(node.build(dict(type='GaussianNoise', std=0.0))).__name__ == 'GaussianNoise'


def test_own_components_resolve_in_our_scope():
    assert registry.DATASETS.get('DigitsDataset') is DigitsDataset
    assert registry.HOOKS.get('KNNEvalHook') is KNNEvalHook
    assert registry.METRICS.get('KNNAccuracy') is KNNAccuracy


def test_mmpretrain_components_resolve_without_prefix():
    from mmpretrain.datasets import MultiView
    from mmpretrain.models import MoCo, SimCLR

    assert registry.MODELS.get('SimCLR') is SimCLR
    assert registry.MODELS.get('MoCo') is MoCo
    assert registry.TRANSFORMS.get('MultiView') is MultiView


def test_mmdet_components_resolve_with_prefix():
    from mmdet.models import MaskRCNN

    assert registry.MODELS.get('mmdet.MaskRCNN') is MaskRCNN


def test_default_scope_builds_through_the_chain():
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        model = registry.MODELS.build(dict(type='ResNet_CIFAR', depth=18))
    assert type(model).__name__ == 'ResNet_CIFAR'


def test_unregistered_type_gives_a_clear_error():
    with pytest.raises(KeyError, match='NoSuchAlgorithm is not in the mmssl_ext::model registry'):
        registry.MODELS.build(dict(type='NoSuchAlgorithm'))
