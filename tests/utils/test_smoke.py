"""mmssl_ext.utils.smoke: the deprecated alias of mmssl_ext.testing.smoke, kept for one release."""

import importlib
import sys

import pytest

import mmssl_ext.testing.smoke as smoke


def test_the_old_module_is_a_deprecated_alias():
    sys.modules.pop('mmssl_ext.utils.smoke', None)
    with pytest.warns(DeprecationWarning, match='import mmssl_ext.testing.smoke'):
        old = importlib.import_module('mmssl_ext.utils.smoke')
    for name in (*smoke.__all__, '_find_transforms'):
        assert getattr(old, name) is getattr(smoke, name), name
