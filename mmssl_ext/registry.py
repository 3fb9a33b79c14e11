# Copyright (c) mmssl_ext contributors. All rights reserved.
"""mmssl_ext registry nodes.

Every node but ``FEATURE_AUGMENTERS`` is a child of the mmpretrain node of the same name (itself a child of
MMEngine's root), so with ``default_scope='mmssl_ext'`` a config resolves our components first, then
mmpretrain's and MMEngine's without a prefix; sibling scopes such as mmdet are reached as ``'mmdet.X'``.
``FEATURE_AUGMENTERS`` is standalone (mmpretrain has no such node). ``locations`` lets a registry import the
subpackage that fills it on first use.
"""

from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

__all__ = [
    'RUNNERS',
    'RUNNER_CONSTRUCTORS',
    'LOOPS',
    'HOOKS',
    'LOG_PROCESSORS',
    'OPTIMIZERS',
    'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS',
    'DATASETS',
    'DATA_SAMPLERS',
    'TRANSFORMS',
    'MODELS',
    'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS',
    'BATCH_AUGMENTS',
    'TASK_UTILS',
    'METRICS',
    'EVALUATORS',
    'VISUALIZERS',
    'VISBACKENDS',
    'FEATURE_AUGMENTERS',
]

SCOPE = 'mmssl_ext'


def _child(parent: Registry, location: str) -> Registry:
    """Create the ``mmssl_ext`` child of an mmpretrain registry node.

    Args:
        parent (Registry): The mmpretrain node to chain to.
        location (str): The ``mmssl_ext`` subpackage whose import registers into the node.

    Returns:
        Registry: The new child node, scope ``'mmssl_ext'``.
    """
    return Registry(parent.name, parent=parent, scope=SCOPE, locations=[f'{SCOPE}.{location}'])


# engine
RUNNERS = _child(mmpretrain_registry.RUNNERS, 'engine')
RUNNER_CONSTRUCTORS = _child(mmpretrain_registry.RUNNER_CONSTRUCTORS, 'engine')
LOOPS = _child(mmpretrain_registry.LOOPS, 'engine')
HOOKS = _child(mmpretrain_registry.HOOKS, 'engine')
LOG_PROCESSORS = _child(mmpretrain_registry.LOG_PROCESSORS, 'engine')
OPTIMIZERS = _child(mmpretrain_registry.OPTIMIZERS, 'engine')
OPTIM_WRAPPERS = _child(mmpretrain_registry.OPTIM_WRAPPERS, 'engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(mmpretrain_registry.OPTIM_WRAPPER_CONSTRUCTORS, 'engine')
PARAM_SCHEDULERS = _child(mmpretrain_registry.PARAM_SCHEDULERS, 'engine')
# datasets
DATASETS = _child(mmpretrain_registry.DATASETS, 'datasets')
DATA_SAMPLERS = _child(mmpretrain_registry.DATA_SAMPLERS, 'datasets')
TRANSFORMS = _child(mmpretrain_registry.TRANSFORMS, 'datasets')
# models
MODELS = _child(mmpretrain_registry.MODELS, 'models')
MODEL_WRAPPERS = _child(mmpretrain_registry.MODEL_WRAPPERS, 'models')
WEIGHT_INITIALIZERS = _child(mmpretrain_registry.WEIGHT_INITIALIZERS, 'models')
BATCH_AUGMENTS = _child(mmpretrain_registry.BATCH_AUGMENTS, 'models')
TASK_UTILS = _child(mmpretrain_registry.TASK_UTILS, 'models')
# evaluation
METRICS = _child(mmpretrain_registry.METRICS, 'evaluation')
EVALUATORS = _child(mmpretrain_registry.EVALUATORS, 'evaluation')
# visualization
VISUALIZERS = _child(mmpretrain_registry.VISUALIZERS, 'engine')
VISBACKENDS = _child(mmpretrain_registry.VISBACKENDS, 'engine')
# feature-space augmenters (standalone: mmpretrain has no such node)
FEATURE_AUGMENTERS = Registry('feature augmenter', scope=SCOPE, locations=[f'{SCOPE}.models.feature_augs'])
