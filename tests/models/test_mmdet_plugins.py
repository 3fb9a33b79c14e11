"""mmssl_ext.models.mmdet_plugins: the deprecated alias of mmssl_ext.integrations.mmdet."""

import pytest


def test_the_old_plugin_module_is_a_deprecated_alias():
    import importlib
    import sys

    sys.modules.pop('mmssl_ext.models.mmdet_plugins', None)
    with pytest.warns(DeprecationWarning, match='moved to mmssl_ext.integrations.mmdet'):
        old = importlib.import_module('mmssl_ext.models.mmdet_plugins')
    assert old.register_mmdet_modules is importlib.import_module('mmssl_ext.integrations.mmdet').register_mmdet_modules
