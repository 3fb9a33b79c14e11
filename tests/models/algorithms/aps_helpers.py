"""A tiny APS model, its MLPs and a token-chunk batch for the APS tests and their workers (helper, not collected)."""

import torch
from mmpretrain.structures import DataSample

from mmssl_ext.models import APS
from mmssl_ext.registry import MODELS

TINY_VIT = dict(
    type='APSViT',
    arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
    img_size=16,
    patch_size=4,
    qkv_bias=False,
    out_type='cls_token',
    cls_pos_embed=False,
)


def _mlp(in_channels, out_channels=16):
    return dict(
        type='NonLinearNeck',
        in_channels=in_channels,
        hid_channels=32,
        out_channels=out_channels,
        num_layers=3,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_avg_pool=False,
        norm_cfg=dict(type='BN1d'),
    )


def _tiny_aps() -> APS:
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='APS',
            backbone=TINY_VIT,
            neck=_mlp(32),
            head=dict(type='APSHead', predictor=_mlp(16), loss=dict(type='APSLoss', temperature=0.1)),
            data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3),
        )
    )


def _batch(batch=4, chunks=4, n=4, grid=4, seed=0):
    """Two views and ``[chunks, n]`` token ids per sample (view 1's chunks tile the grid)."""
    gen = torch.Generator().manual_seed(seed)
    views = [torch.randint(0, 256, (batch, 3, 16, 16), generator=gen, dtype=torch.uint8) for _ in range(2)]
    samples = []
    for _ in range(batch):
        s = DataSample()
        s.set_field(torch.randperm(grid * grid, generator=gen)[: chunks * n].reshape(chunks, n).numpy(), 'idx_view1')
        s.set_field(torch.stack([torch.randperm(grid * grid, generator=gen)[:n] for _ in range(chunks)]), 'idx_view2')
        samples.append(s)
    return dict(inputs=views, data_samples=samples)
