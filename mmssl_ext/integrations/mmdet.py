# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Add the mmssl_ext modules that mmdet transfer configs need to mmdet's registries.

mmengine resolves a scoped type such as ``'mmssl_ext.APSViT'`` only among the root registry's direct children, and
mmssl_ext's registries are children of mmpretrain's, so an mmdet config (``default_scope='mmdet'``) cannot reach
them by prefix. A transfer config imports this module instead::

    custom_imports = dict(imports=['mmssl_ext.integrations.mmdet'], allow_failed_imports=False)

and names the bare types: ``type='APSViT'``, ``type='SimpleFeaturePyramid'``,
``constructor='BackboneLayerDecayOptimWrapperConstructor'``. Importing it also makes ``init_cfg=dict(type='Pretrained',
...)`` in mmdet's scope the checked loader :class:`~mmssl_ext.models.utils.CheckedPretrainedInit` (a checkpoint
whose keys do not fit the backbone fails with the keys listed, instead of leaving random weights), for the process
that imported it: the configs that list this module opt in; ``import mmssl_ext`` or any other module of the
package changes nothing of mmdet's. The name must stay ``'Pretrained'``: MMEngine's ``BaseModule.init_weights``
applies only an init of that exact type after the children's own initialisation (any other name would load the
weights first and let the children re-draw them). MMEngine's unchecked loader stays reachable as
``'mmengine.Pretrained'``; ``'CheckedPretrained'`` names ours explicitly. Importing it needs mmdet.
"""

from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_CONSTRUCTORS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_INITIALIZERS

from mmssl_ext.engine.optim_wrappers import BackboneLayerDecayOptimWrapperConstructor
from mmssl_ext.models.backbones import APSViT
from mmssl_ext.models.necks import SimpleFeaturePyramid
from mmssl_ext.models.utils import CheckedPretrainedInit

__all__ = ['MMDET_EXPORTS', 'MMDET_CONSTRUCTOR_EXPORTS', 'MMDET_INITIALIZER_EXPORTS', 'register_mmdet_modules']

#: Modules exported to mmdet's ``MODELS``, by name.
MMDET_EXPORTS = {'APSViT': APSViT, 'SimpleFeaturePyramid': SimpleFeaturePyramid}
#: Optimiser-wrapper constructors exported to mmdet's ``OPTIM_WRAPPER_CONSTRUCTORS``, by name.
MMDET_CONSTRUCTOR_EXPORTS = {'BackboneLayerDecayOptimWrapperConstructor': BackboneLayerDecayOptimWrapperConstructor}
#: Weight initialisers exported to mmdet's ``WEIGHT_INITIALIZERS`` (``'Pretrained'`` shadows MMEngine's there).
MMDET_INITIALIZER_EXPORTS = {'Pretrained': CheckedPretrainedInit, 'CheckedPretrained': CheckedPretrainedInit}


def register_mmdet_modules() -> None:
    """Add the exports to mmdet's registries (idempotent; a different module under the same name is an error)."""
    pairs = (
        (MMDET_MODELS, MMDET_EXPORTS),
        (MMDET_CONSTRUCTORS, MMDET_CONSTRUCTOR_EXPORTS),
        (MMDET_INITIALIZERS, MMDET_INITIALIZER_EXPORTS),
    )
    for registry, exports in pairs:
        for name, cls in exports.items():
            existing = registry.module_dict.get(name)
            if existing is None:
                registry.register_module(name=name, module=cls)
            elif existing is not cls:
                raise KeyError(f"mmdet's {registry.name} already holds a different {name!r} ({existing}).")


register_mmdet_modules()
