# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batch curation policies used inside contrastive train steps."""

from .batch_curator import BatchCurator, PairSelection

__all__ = ['BatchCurator', 'PairSelection']
