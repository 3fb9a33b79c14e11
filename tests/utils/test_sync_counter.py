"""mmssl_ext.utils.sync_counter: the deprecated alias of mmssl_ext.testing.sync_counter, kept for one release."""

import importlib
import sys

import pytest

import mmssl_ext.testing.sync_counter as sync_counter


def test_the_old_module_is_a_deprecated_alias():
    sys.modules.pop('mmssl_ext.utils.sync_counter', None)
    with pytest.warns(DeprecationWarning, match='import mmssl_ext.testing.sync_counter'):
        old = importlib.import_module('mmssl_ext.utils.sync_counter')
    assert old.HostSyncCounter is sync_counter.HostSyncCounter and old.SYNC_OPS is sync_counter.SYNC_OPS


def test_the_old_names_stay_importable_from_utils():
    import mmssl_ext.utils as utils

    assert utils.HostSyncCounter is sync_counter.HostSyncCounter and utils.SYNC_OPS is sync_counter.SYNC_OPS
    assert 'HostSyncCounter' not in utils.__all__  # no longer part of the utilities
    with pytest.raises(AttributeError, match='no attribute'):
        utils.NoSuchName  # noqa: B018
