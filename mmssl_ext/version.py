# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Package version."""

__version__ = '0.1.0'

__all__ = ['__version__']
