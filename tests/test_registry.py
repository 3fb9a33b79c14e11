"""Registry chain: mmssl_ext -> mmpretrain -> mmengine; mmdet as a sibling scope."""

import mmpretrain.registry as mmp_registry
import pytest
from mmengine.registry import DefaultScope

from mmssl_ext import registry
from mmssl_ext.datasets import DigitsDataset
from mmssl_ext.engine import KNNEvalHook
from mmssl_ext.evaluation import KNNAccuracy

CHILD_NODES = [name for name in registry.__all__ if name != 'FEATURE_AUGMENTERS']


def test_there_are_21_child_nodes():
    assert len(CHILD_NODES) == 21


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
