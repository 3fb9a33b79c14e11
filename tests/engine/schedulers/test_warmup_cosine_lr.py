"""warmup_cosine_factor and WarmupCosineLambdaLR: the official APS lambda and the learning rate of each epoch."""

import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmssl_ext.engine import WarmupCosineLambdaLR, warmup_cosine_factor
from mmssl_ext.registry import PARAM_SCHEDULERS


def test_warmup_cosine_factor_matches_the_official_lambda():
    for e in (0, 1, 10, 19, 20, 100, 800, 1599):
        expected = min((e + 1) / 20, 0.5 * (1 + math.cos(math.pi * e / 1600)))
        assert warmup_cosine_factor(e, 20, 1600) == pytest.approx(expected, abs=1e-12)
    assert warmup_cosine_factor(0, 20, 1600) == pytest.approx(0.05)
    assert warmup_cosine_factor(800, 20, 1600) == pytest.approx(0.5)


def test_scheduler_sets_the_lr_of_each_epoch():
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=2e-3)
    sched = PARAM_SCHEDULERS.build(
        dict(type='WarmupCosineLambdaLR', warmup=5, total=30, by_epoch=True, begin=0, end=30),
        default_args=dict(optimizer=optimizer),
    )
    assert isinstance(sched, WarmupCosineLambdaLR)
    seen = []
    for _ in range(30):
        seen.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        sched.step()
    expected = [2e-3 * min((e + 1) / 5, 0.5 * (1 + math.cos(math.pi * e / 30))) for e in range(30)]
    assert np.allclose(seen, expected, rtol=1e-9)
    with pytest.raises(ValueError, match='total'):
        WarmupCosineLambdaLR(optimizer, warmup=5)
