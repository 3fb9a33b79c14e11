"""Tiny MoCo v2 family models, inputs, steps and hand-computed losses for their tests (helper, not collected)."""

import torch
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

# Tiny ResNet: stem (stride 2 conv + max pool) and one stage of 8 channels, 16x16 -> 4x4.
BACKBONE = dict(
    type='ResNet',
    depth=18,
    num_stages=1,
    out_indices=(0,),
    strides=(1,),
    dilations=(1,),
    stem_channels=8,
    base_channels=8,
)


B = 4


FEAT_DIM = 16


QUEUE_LEN = 32


MOCO_HEAD = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)


def moco_neck(out_channels=FEAT_DIM):
    return dict(type='MoCoV2Neck', in_channels=8, hid_channels=32, out_channels=out_channels, with_avg_pool=True)


def build(type_, seed=0, queue_len=QUEUE_LEN, feat_dim=FEAT_DIM, **kwargs):
    """A MoCo-family model with the tiny backbone, in train mode."""
    torch.manual_seed(seed)
    cfg = dict(type=type_, backbone=BACKBONE, neck=moco_neck(feat_dim), queue_len=queue_len, feat_dim=feat_dim)
    model = MODELS.build({**cfg, **kwargs})
    return model.train()


def clone_into(src, type_, **kwargs):
    """Build ``type_`` (same tiny architecture) and load ``src``'s full state (EMA encoder and queue included)."""
    dst = build(type_, seed=123, **kwargs)
    dst.load_state_dict(src.state_dict())
    return dst.train()


def images(*sizes, seed=100, batch=B):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, s, s, generator=g) for s in sizes]


def step(model, inputs, seed=7):
    """One training step: seeded loss (shuffle-BN draws a randperm), backward of the summed losses."""
    model.train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    losses = model.loss(inputs, None)
    total = sum(losses.values())
    total.backward()
    return losses, total


def assert_same_grads(a, b, exact=False, rtol=1e-5, atol=1e-6):
    params_a = dict(a.named_parameters())
    params_b = dict(b.named_parameters())
    assert set(params_b) <= set(params_a)
    nonzero = 0
    for name, pb in params_b.items():
        ga, gb = params_a[name].grad, pb.grad
        if gb is None:
            assert ga is None or not ga.any(), name
            continue
        assert ga is not None, name
        nonzero += int(bool(gb.any()))
        if exact:
            assert torch.equal(ga, gb), name
        else:
            torch.testing.assert_close(ga, gb, rtol=rtol, atol=atol, msg=name)
    assert nonzero > 0, 'no parameter received a gradient: the comparison would be vacuous'


def assert_same_queue(a, b):
    assert torch.equal(a.queue, b.queue)
    assert torch.equal(a.queue_ptr, b.queue_ptr)


def hand_moco_ce(q, k, negatives, temperature=0.2, in_batch=False):
    if in_batch:
        logits = torch.cat([q @ k.T, q @ negatives.T], dim=1) / temperature
        target = torch.arange(len(q))
    else:
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ negatives.T], dim=1) / temperature
        target = torch.zeros(len(q), dtype=torch.long)
    return F.cross_entropy(logits, target)


def hand_ddm(weak, strong, candidates, temperature=0.2):
    p = torch.softmax(weak.detach() @ candidates.T / temperature, dim=1)
    return -(p * torch.log_softmax(strong @ candidates.T / temperature, dim=1)).sum(1).mean()


def unit(n, d, seed):
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=1)


def mixer(num_hard=4, num_mix=4, num_query_mix=2, start_epoch=0, start_iter=0):
    return dict(
        type='MoCHiMixer',
        num_hard=num_hard,
        num_mix=num_mix,
        num_query_mix=num_query_mix,
        start_epoch=start_epoch,
        start_iter=start_iter,
    )


IDENTITY_FT = [dict(type='PositiveExtrapolation', lam=1.0), dict(type='NegativeInterpolation', mu=1.0)]


FT = [dict(type='PositiveExtrapolation', alpha=2.0), dict(type='NegativeInterpolation', alpha=1.6)]


def feataug(feat_aug, **kwargs):
    """MoCo v2's loss wrapped in FeatAugLoss (the shipped configs' form)."""
    return dict(type='FeatAugLoss', base=dict(type='QueueInfoNCELoss', temperature=0.2), feat_aug=feat_aug, **kwargs)


def byol_cfg(type_, **kwargs):
    return dict(
        type=type_,
        backbone=BACKBONE,
        neck=dict(
            type='NonLinearNeck',
            in_channels=8,
            hid_channels=16,
            out_channels=8,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_avg_pool=True,
        ),
        head=dict(
            type='LatentPredictHead',
            predictor=dict(
                type='NonLinearNeck',
                in_channels=8,
                hid_channels=16,
                out_channels=8,
                num_layers=2,
                with_bias=True,
                with_last_bn=False,
                with_avg_pool=False,
            ),
            loss=dict(type='CosineSimilarityLoss'),
        ),
        **kwargs,
    )


def simsiam_cfg(type_, **kwargs):
    return dict(
        type=type_,
        backbone=BACKBONE,
        neck=dict(
            type='NonLinearNeck',
            in_channels=8,
            hid_channels=16,
            out_channels=8,
            num_layers=3,
            with_last_bn_affine=False,
            with_avg_pool=True,
        ),
        head=dict(
            type='LatentPredictHead',
            loss=dict(type='CosineSimilarityLoss'),
            predictor=dict(
                type='NonLinearNeck',
                in_channels=8,
                hid_channels=4,
                out_channels=8,
                with_avg_pool=False,
                with_last_bn=False,
                with_last_bias=True,
            ),
        ),
        **kwargs,
    )


def with_feat_aug(cfg, feat_aug, **kwargs):
    """The config of mmpretrain's BYOL / SimSiam with its head wrapped in FeatAugHead (the shipped configs' form)."""
    return {**cfg, 'head': dict(type='FeatAugHead', head=cfg['head'], feat_aug=feat_aug, **kwargs)}


def base_keys(state):
    """A FeatAugHead model's state dict under the keys of the unwrapped model (``head.head.`` -> ``head.``)."""
    return {k.replace('head.head.', 'head.', 1): v for k, v in state.items()}


def build_pair(cfg_fn, ref_type, feat_aug):
    torch.manual_seed(0)
    ours = MODELS.build(with_feat_aug(cfg_fn(ref_type), feat_aug)).train()
    torch.manual_seed(1)
    ref = MODELS.build(cfg_fn(ref_type)).train()
    ref.load_state_dict(base_keys(ours.state_dict()))
    return ours, ref
