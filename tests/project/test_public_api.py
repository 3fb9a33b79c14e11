"""The package's public ``__init__`` files: every exported name exists, none is a private helper."""

import importlib
import pkgutil

import pytest

import mmssl_ext


def _packages():
    yield 'mmssl_ext'
    for info in pkgutil.walk_packages(mmssl_ext.__path__, 'mmssl_ext.'):
        if info.ispkg:
            yield info.name


@pytest.mark.parametrize('name', sorted(_packages()))
def test_exports_are_public_and_resolve(name):
    module = importlib.import_module(name)
    exported = getattr(module, '__all__', None)
    assert exported is not None, f'{name} has no __all__'
    private = [n for n in exported if n.startswith('_') and not n.startswith('__')]
    assert not private, f'{name} exports private helpers: {private}'
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f'{name}.__all__ names what it does not define: {missing}'
    assert len(set(exported)) == len(exported), f'{name}.__all__ repeats a name'


def test_the_names_that_moved_still_resolve_from_the_losses_with_a_warning():
    import mmssl_ext.models.losses as losses
    from mmssl_ext.models.algorithms import MoCHiMixer
    from mmssl_ext.models.utils import cmc_momentum_update

    with pytest.warns(DeprecationWarning, match='mochi_mixer'):
        assert losses.MoCHiMixer is MoCHiMixer
    with pytest.warns(DeprecationWarning, match='cmc_memory'):
        assert losses.cmc_momentum_update is cmc_momentum_update
    with pytest.raises(AttributeError, match='NoSuchLoss'):
        losses.NoSuchLoss  # noqa: B018
