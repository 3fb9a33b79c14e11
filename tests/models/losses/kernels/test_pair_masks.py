"""PairMasks: argument validation (and the chunk size the kernel accepts with them)."""

import pytest
import torch

from mmssl_ext.models.losses import PairMasks, contrastive_log_softmax


def test_pair_masks_validate_arguments():
    with pytest.raises(ValueError, match='exactly one'):
        PairMasks()
    with pytest.raises(ValueError, match='anchor_rows'):
        PairMasks(explicit=torch.ones(2, 2))
    with pytest.raises(ValueError, match='denominator'):
        PairMasks(anchor_keys=torch.zeros(2), contrast_keys=torch.zeros(2), denominator='some')
    with pytest.raises(ValueError, match='chunk_size'):
        contrastive_log_softmax(
            torch.ones(1, 1), torch.ones(1, 1), PairMasks(torch.zeros(1), torch.zeros(1)), 1, chunk_size=0
        )
