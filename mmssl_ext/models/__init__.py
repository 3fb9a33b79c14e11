# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Models of mmssl_ext.

Algorithms, backbones, necks, heads, wrappers, losses, feature augmenters, curation, batch augments, data
preprocessors and utilities.
"""

from .algorithms import *  # noqa: F401,F403
from .algorithms import __all__ as _algorithms_all
from .backbones import *  # noqa: F401,F403
from .backbones import __all__ as _backbones_all
from .batch_augments import *  # noqa: F401,F403
from .batch_augments import __all__ as _batch_augments_all
from .curation import *  # noqa: F401,F403
from .curation import __all__ as _curation_all
from .data_preprocessors import *  # noqa: F401,F403
from .data_preprocessors import __all__ as _data_preprocessors_all
from .feature_augs import *  # noqa: F401,F403
from .feature_augs import __all__ as _feature_augs_all
from .heads import *  # noqa: F401,F403
from .heads import __all__ as _heads_all
from .losses import *  # noqa: F401,F403
from .losses import __all__ as _losses_all
from .necks import *  # noqa: F401,F403
from .necks import __all__ as _necks_all
from .utils import *  # noqa: F401,F403
from .utils import __all__ as _utils_all
from .wrappers import *  # noqa: F401,F403
from .wrappers import __all__ as _wrappers_all

__all__ = (
    list(_losses_all)
    + list(_feature_augs_all)
    + list(_algorithms_all)
    + list(_backbones_all)
    + list(_batch_augments_all)
    + list(_data_preprocessors_all)
    + list(_curation_all)
    + list(_utils_all)
    + list(_heads_all)
    + list(_necks_all)
    + list(_wrappers_all)
)
