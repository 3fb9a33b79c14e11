# Copyright (c) mmssl_ext contributors. All rights reserved.
from .loops import ResumableEpochBasedTrainLoop, ResumableIterBasedTrainLoop, follow_runner_seed
from .ssl_runner import SSLRunner, build_runner

__all__ = [
    'ResumableEpochBasedTrainLoop',
    'ResumableIterBasedTrainLoop',
    'follow_runner_seed',
    'SSLRunner',
    'build_runner',
]
