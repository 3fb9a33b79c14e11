# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Heads (predictor + loss orchestration) registered in ``mmssl_ext.registry.MODELS``."""

from .aps_head import APSHead
from .feataug_head import FeatAugHead

__all__ = ['APSHead', 'FeatAugHead']
