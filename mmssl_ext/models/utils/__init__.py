# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Model utilities shared by losses and algorithms."""

from .bn_state import preserve_bn_stats
from .frechet import frechet_distance
from .gather import all_gather_no_grad, all_gather_with_grad, rank_offset

__all__ = ['all_gather_with_grad', 'all_gather_no_grad', 'rank_offset', 'frechet_distance', 'preserve_bn_stats']
