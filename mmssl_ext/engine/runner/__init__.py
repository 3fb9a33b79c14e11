# Copyright (c) mmssl_ext contributors. All rights reserved.
from .ssl_runner import SSLRunner, build_runner

__all__ = ['SSLRunner', 'build_runner']
