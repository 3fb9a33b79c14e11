"""Inputs and a value-and-gradient run for the kernel tests (helper, not collected)."""

import torch
import torch.nn.functional as F


def _x(b=10, v=3, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(b, v, d, generator=g, dtype=torch.float64), dim=-1)


def _labels(b=10, seed=0):
    return torch.randint(3, (b,), generator=torch.Generator().manual_seed(seed))


def _run(loss, inputs):
    x = inputs[0].clone().requires_grad_(True)
    value = loss(x, *inputs[1:])
    value.backward()
    return value.detach(), x.grad
