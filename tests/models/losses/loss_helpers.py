"""Inputs and checks for the tests of the other losses, the CMC memory and MoCHiMixer (helper, not collected)."""

import torch
import torch.nn.functional as F

F64 = torch.float64


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def unit(*shape, g, dtype=F64):
    return F.normalize(torch.randn(*shape, generator=g, dtype=dtype), dim=-1)


def close(actual, expected, rtol=1e-5, atol=1e-9):
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol)


def grads(loss, inputs):
    return torch.autograd.grad(loss, inputs, allow_unused=True)


def check_value_and_grads(module_fn, ref_fn, inputs):
    """Value and gradients of ``module_fn(*inputs)`` equal those of ``ref_fn(*inputs)``."""
    inputs = [x.detach().clone().requires_grad_() for x in inputs]
    out, ref = module_fn(*inputs), ref_fn(*inputs)
    close(out, ref)
    for a, b in zip(grads(out, inputs), grads(ref, inputs)):
        if a is None or b is None:
            assert (a is None or not a.any()) and (b is None or not b.any())
        else:
            close(a, b)


def row_log_softmax(x):
    m = x.max().detach()
    return x - m - torch.log(torch.exp(x - m).sum())


def row_softmax(x):
    return torch.exp(row_log_softmax(x))


def raw(*shape, seed=0):
    return torch.randn(*shape, generator=gen(seed), dtype=F64, requires_grad=True)


def nz(x):
    return F.normalize(x, dim=-1)


def close_views(batch, views, dim, seed):
    g = gen(seed)
    base = torch.randn(batch, 1, dim, generator=g)
    return F.normalize(base + 0.05 * torch.randn(batch, views, dim, generator=g), dim=-1)


def cmc_inputs(batch=5, views=2, size=12, k=4, dim=6, seed=0):
    g = gen(seed)
    f = unit(batch, views, dim, g=g)
    banks = unit(views, size, dim, g=g)
    indices = torch.randperm(size, generator=g)[:batch]
    negatives = torch.randint(0, size, (batch, k), generator=g)
    return f, banks, indices, negatives


def mochi_inputs(batch=4, queue_size=12, dim=8, seed=0):
    g = gen(seed)
    return unit(batch, 2, dim, g=g), unit(queue_size, dim, g=g)
