# Copyright (c) mmssl_ext contributors. All rights reserved.
from .knn_loops import KNNTestLoop, KNNValLoop
from .loops import ResumableEpochBasedTrainLoop, ResumableIterBasedTrainLoop, follow_runner_seed
from .ssl_runner import SSLRunner, build_runner

__all__ = [
    'KNNValLoop',
    'KNNTestLoop',
    'ResumableEpochBasedTrainLoop',
    'ResumableIterBasedTrainLoop',
    'follow_runner_seed',
    'SSLRunner',
    'build_runner',
]
