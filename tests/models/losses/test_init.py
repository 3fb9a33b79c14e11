"""mmssl_ext.models.losses: the names that moved out of the losses still resolve there, with a DeprecationWarning."""

import pytest

import mmssl_ext.models.losses as losses
from mmssl_ext.models.algorithms import MoCHiMixer
from mmssl_ext.models.utils import cmc_momentum_update


def test_moved_names_are_deprecated_aliases_of_their_new_homes():
    with pytest.warns(DeprecationWarning, match='moved to mmssl_ext.models.algorithms.mochi_mixer.MoCHiMixer'):
        assert losses.MoCHiMixer is MoCHiMixer
    with pytest.warns(DeprecationWarning, match='moved to mmssl_ext.models.utils.cmc_memory.cmc_momentum_update'):
        from mmssl_ext.models.losses import cmc_momentum_update as old

    assert old is cmc_momentum_update
