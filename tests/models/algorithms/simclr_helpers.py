"""Tiny SimCLR-family models, inputs, steps and a hand NT-Xent for their tests (helper, not collected)."""

import torch
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

# Tiny ResNet: stem (stride 2 conv + max pool) and one stage of 8 channels, 16x16 -> 4x4.
TINY_BACKBONE = dict(
    type='ResNet',
    depth=18,
    num_stages=1,
    out_indices=(0,),
    strides=(1,),
    dilations=(1,),
    stem_channels=8,
    base_channels=8,
)


TINY_NECK = dict(type='NonLinearNeck', in_channels=8, hid_channels=16, out_channels=8, num_layers=2, with_avg_pool=True)


CIFAR_BACKBONE = dict(type='ResNet_CIFAR', depth=18)


CIFAR_NECK = dict(
    type='NonLinearNeck', in_channels=512, hid_channels=64, out_channels=32, num_layers=2, with_avg_pool=True
)


LOSS = dict(type='NTXentLoss', temperature=0.2)


TAU = 0.2


B = 6


HUB_KEYS = ('epoch', 'iter')


_MISSING = object()


def build(type_, seed=0, backbone=TINY_BACKBONE, neck=TINY_NECK, loss=LOSS, **kwargs):
    """A SimCLR-family model, seeded, in train mode."""
    torch.manual_seed(seed)
    cfg = dict(type=type_, backbone=backbone, neck=neck, loss=loss, **kwargs)
    return MODELS.build(cfg).train()


def clone_into(src, type_, **kwargs):
    """Build ``type_`` with another seed and load ``src``'s weights (buffers included)."""
    dst = build(type_, seed=123, **kwargs)
    result = dst.load_state_dict(src.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return dst.train()


def images(batch=B, size=16, seed=100, views=2):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, size, size, generator=g) for _ in range(views)]


def step(model, inputs, seed=7):
    """One seeded forward + backward of ``loss``; returns the loss dict."""
    model.train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    losses = model.loss(inputs, None)
    losses['loss'].backward()
    return losses


def assert_same_grads(a, b, exact=False, rtol=1e-5, atol=1e-6, scaled_atol=0.0):
    """Gradients equal (``exact``) or close; ``scaled_atol`` adds an absolute tolerance relative to the
    largest entry of each gradient (float32 round-off of batch-norm sums taken in another order)."""
    params_a = dict(a.named_parameters())
    params_b = dict(b.named_parameters())
    assert set(params_a) == set(params_b)
    nonzero = 0
    for name, pb in params_b.items():
        ga, gb = params_a[name].grad, pb.grad
        assert (ga is None) == (gb is None), name
        if gb is None:
            continue
        nonzero += int(bool(gb.any()))
        if exact:
            assert torch.equal(ga, gb), name
        else:
            tol = max(atol, scaled_atol * float(gb.abs().max()))
            torch.testing.assert_close(ga, gb, rtol=rtol, atol=tol, msg=name)
    assert nonzero > 0, 'no parameter received a gradient: the comparison would be vacuous'


def bn_buffers(model):
    return {
        name: buf.clone()
        for name, buf in model.named_buffers()
        if name.endswith(('running_mean', 'running_var', 'num_batches_tracked'))
    }


def unit(*shape, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(*shape, generator=g, dtype=dtype), dim=-1)


def aligned_pairs(batch, dim, seed=0, noise=0.3, dtype=torch.float32):
    """``[B, 2, D]`` unit features whose two views are close (positive cosine similarity)."""
    g = torch.Generator().manual_seed(seed)
    z1 = F.normalize(torch.randn(batch, dim, generator=g, dtype=dtype), dim=-1)
    z2 = F.normalize(z1 + noise * torch.randn(batch, dim, generator=g, dtype=dtype), dim=-1)
    return torch.stack([z1, z2], dim=1)


def hand_nt_xent(features, temperature=TAU, exclude=None):
    """Plain-torch NT-Xent, one row at a time: rows / columns view-major, exclude[r, c] drops a negative."""
    batch, views, _ = features.shape
    z = features.transpose(0, 1).reshape(views * batch, -1)
    logits = z @ z.T / temperature
    sample = torch.arange(batch).repeat(views)
    losses = []
    for r in range(views * batch):
        pos = [c for c in range(views * batch) if c != r and sample[c] == sample[r]]
        den = [
            c
            for c in range(views * batch)
            if c != r and (sample[c] == sample[r] or exclude is None or not bool(exclude[r, c]))
        ]
        losses.append(torch.logsumexp(logits[r, den], 0) - logits[r, pos].mean())
    return torch.stack(losses).mean()


def scored_pairs(scores, dim=4):
    """``(z1, z2)`` whose pair similarities are exactly ``scores`` (``z1 = e_0``, ``z2 = s * e_0``)."""
    z1 = torch.zeros(len(scores), dim)
    z1[:, 0] = 1.0
    return z1, z1 * torch.as_tensor(scores)[:, None]


def antiparallel_batch(batch=B, dim=8, bad=2, seed=0):
    """``[B, 2, D]`` aligned pairs except pair ``bad`` whose views are opposite (similarity -1)."""
    features = aligned_pairs(batch, dim, seed=seed)
    features[bad, 1] = -features[bad, 0]
    return features
