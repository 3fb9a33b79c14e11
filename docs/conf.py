# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Sphinx configuration of the mmssl_ext docs site (``make docs``; the guides are the Markdown pages beside it)."""

import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmssl_ext.version import __version__  # noqa: E402

project = 'mmssl_ext'
author = 'mmssl_ext contributors'
copyright = 'mmssl_ext contributors'
version = release = __version__

extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.napoleon']
source_suffix = {'.md': 'markdown', '.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = ['_build']
myst_heading_anchors = 3

# The API reference is generated from the docstrings (Google style, read by napoleon).
autodoc_member_order = 'bysource'
autodoc_typehints = 'none'  # the signatures carry the annotations; the Args sections say the rest
autodoc_default_options = {'members': True, 'show-inheritance': True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # 'Attributes:' as fields: autodoc documents the members themselves

html_theme = 'alabaster'
html_static_path: list = []
html_title = f'mmssl_ext {__version__}'
