"""SimCLR family (ContrastiveSimCLR, CuratedSimCLR, DCL) and batch curation: equivalence with mmpretrain's
SimCLR, ``keep`` / ``exclude`` of the contrastive losses, BatchCurator policies, the Frechet gate and
SkipStepOptimWrapper, oversampling and batch-norm statistics.

Spec: the method notes (methods.md) section 4.3 (batch curation).
"""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmpretrain.models.selfsup import SimCLR
from mmpretrain.structures import DataSample

from mmssl_ext.engine.optim_wrappers import SkipStepOptimWrapper
from mmssl_ext.models.algorithms import DCL, ContrastiveSimCLR, CuratedSimCLR
from mmssl_ext.models.curation import BatchCurator
from mmssl_ext.models.losses import DCLLoss, InfoNCELoss
from mmssl_ext.models.losses.sample_selection import dense_to_index, kept_mean
from mmssl_ext.models.utils import frechet_distance, preserve_bn_stats
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
LOSS = dict(type='InfoNCELoss', temperature=0.2)
TAU = 0.2
B = 6
HUB_KEYS = ('epoch', 'iter')
_MISSING = object()


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def clean_message_hub():
    """Run every test without a runner position in the message hub, and restore it after."""
    hub = MessageHub.get_current_instance()
    saved = {key: hub.pop_info(key, _MISSING) for key in HUB_KEYS}
    yield hub
    for key in HUB_KEYS:
        hub.pop_info(key)
        if saved[key] is not _MISSING:
            hub.update_info(key, saved[key])


# ----------------------------------------------------------------------------- helpers


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


LOSS_VARIANTS = {
    'infonce-mean': lambda chunk: InfoNCELoss(temperature=TAU, chunk_size=chunk),
    'infonce-sum': lambda chunk: InfoNCELoss(temperature=TAU, reduction='sum', chunk_size=chunk),
    'dcl': lambda chunk: DCLLoss(temperature=TAU, chunk_size=chunk),
    'dclw-vmf': lambda chunk: DCLLoss(temperature=TAU, weight_fn='vmf', sigma=0.5, chunk_size=chunk),
}
KEEP = torch.tensor([True, False, True, True, False, True, True])  # 7 samples, 2 dropped


# ----------------------------------------------------------------------------- 1. ContrastiveSimCLR


def test_contrastive_simclr_equals_mmpretrain_simclr():
    ours = build('ContrastiveSimCLR', backbone=CIFAR_BACKBONE, neck=CIFAR_NECK)
    torch.manual_seed(123)
    ref = SimCLR(
        backbone=CIFAR_BACKBONE,
        neck=CIFAR_NECK,
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
    ).train()
    result = ref.load_state_dict(ours.state_dict(), strict=False)
    assert not [k for k in result.missing_keys if not k.startswith('head.')]
    assert not [k for k in result.unexpected_keys if not k.startswith('loss_module.')]
    inputs = images(batch=B, size=16, seed=1)
    losses = step(ours, inputs)
    ref_losses = step(ref, inputs)
    assert set(losses) == {'loss'}
    torch.testing.assert_close(losses['loss'], ref_losses['loss'], rtol=1e-5, atol=0)
    # mmpretrain interleaves the views (image 2i, 2i+1 = sample i), we concatenate them: the same batch-norm
    # statistics summed in another order, so float32 round-off of ~1e-6 of each gradient's scale remains
    assert_same_grads(ours, ref, rtol=1e-4, atol=1e-6, scaled_atol=1e-5)


def test_embed_is_one_backbone_pass_over_all_views():
    model = build('ContrastiveSimCLR')
    seen = []
    handle = model.backbone.register_forward_pre_hook(lambda mod, args: seen.append(args[0].shape[0]))
    inputs = images(seed=2)
    with torch.no_grad():
        z = model.embed(inputs)
        handle.remove()
        flat = model.project(torch.cat(inputs))
    assert seen == [2 * B]
    assert z.shape == (B, 2, 8)
    torch.testing.assert_close(z.norm(dim=-1), torch.ones(B, 2))
    torch.testing.assert_close(z[:, 0], flat[:B], rtol=0, atol=0)
    torch.testing.assert_close(z[:, 1], flat[B:], rtol=0, atol=0)


def test_dcl_algorithm_equals_dcl_loss_on_simclr_embeddings():
    dcl_loss = dict(type='DCLLoss', temperature=0.2, weight_fn='vmf')
    dcl = build('DCL', loss=dcl_loss)
    assert isinstance(dcl, DCL)
    simclr = clone_into(dcl, 'ContrastiveSimCLR')
    inputs = images(seed=3)
    got = dcl.loss(inputs, None)['loss']
    expected = DCLLoss(temperature=0.2, weight_fn='vmf')(simclr.embed(inputs))
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=0)
    assert not torch.allclose(got, InfoNCELoss(temperature=0.2)(simclr.embed(inputs)))


def test_dcl_rejects_a_non_dcl_loss():
    with pytest.raises(ValueError, match='DCLLoss'):
        build('DCL', loss=LOSS)


@pytest.mark.parametrize('type_', ['ContrastiveSimCLR', 'CuratedSimCLR'])
def test_head_argument_is_rejected(type_):
    head = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)
    with pytest.raises(ValueError, match='head'):
        build(type_, head=head)


@pytest.mark.parametrize('type_', ['ContrastiveSimCLR', 'CuratedSimCLR'])
def test_wrong_views_are_rejected(type_):
    model = build(type_)
    with pytest.raises(ValueError, match='expects 2 views'):
        model.loss(images(views=3), None)
    with pytest.raises(ValueError, match='one shape'):
        model.loss([images(size=16)[0], images(size=12)[0]], None)
    with pytest.raises(ValueError, match='expects 2 views'):
        model.loss(torch.randn(B, 3, 16, 16), None)


def test_curated_config_errors():
    with pytest.raises(ValueError, match='score_with'):
        build('CuratedSimCLR', score_with='target')
    with pytest.raises(ValueError, match='InfoNCELoss or DCLLoss'):
        build('CuratedSimCLR', loss=dict(type='SupConLoss', temperature=0.2))
    with pytest.raises(ValueError, match='num_views'):
        build('CuratedSimCLR', num_views=3)
    with pytest.raises(ValueError, match='ema_momentum'):
        build('CuratedSimCLR', score_with='ema', ema_momentum=0.0)


# ----------------------------------------------------------------------------- 2. keep / exclude of the losses


@pytest.mark.parametrize('name', sorted(LOSS_VARIANTS))
def test_keep_all_true_equals_keep_none(name):
    loss = LOSS_VARIANTS[name](None)
    features = unit(7, 2, 5, seed=1)
    torch.testing.assert_close(loss(features, keep=torch.ones(7, dtype=torch.bool)), loss(features))


@pytest.mark.parametrize('chunk', [None, 3])
@pytest.mark.parametrize('name', sorted(LOSS_VARIANTS))
def test_keep_mask_equals_loss_on_the_kept_subset(name, chunk):
    loss = LOSS_VARIANTS[name](chunk)
    features = unit(7, 2, 5, seed=2)
    got = loss(features, keep=KEEP)
    expected = LOSS_VARIANTS[name](None)(features[KEEP])
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    # the dropped samples do matter when kept: the comparison is not vacuous
    assert not torch.allclose(loss(features), expected)


@pytest.mark.parametrize('chunk', [None, 3])
def test_exclude_matches_hand_computed_nt_xent(chunk):
    features = unit(5, 2, 4, seed=3)
    exclude = torch.zeros(10, 10, dtype=torch.bool)
    for r, c in [(0, 1), (0, 7), (3, 9), (6, 2), (9, 0), (9, 1), (9, 2)]:  # negatives only (view-major)
        exclude[r, c] = True
    loss = InfoNCELoss(temperature=TAU, chunk_size=chunk)
    got = loss(features, exclude=exclude)
    torch.testing.assert_close(got, hand_nt_xent(features, exclude=exclude), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(loss(features), hand_nt_xent(features), rtol=1e-10, atol=1e-12)
    assert not torch.allclose(got, loss(features))


@pytest.mark.parametrize('name', ['infonce-mean', 'dcl'])
def test_exclude_ignores_positive_and_self_entries(name):
    features = unit(5, 2, 4, seed=4)
    loss = LOSS_VARIANTS[name](None)
    same_sample = torch.arange(5).repeat(2)
    exclude = same_sample[:, None] == same_sample[None, :]  # self and positive entries only
    torch.testing.assert_close(loss(features, exclude=exclude), loss(features), rtol=1e-12, atol=0)


def test_exclude_combined_with_keep_equals_hand_reference_on_the_subset():
    features = unit(7, 2, 4, seed=5)
    exclude = torch.zeros(14, 14, dtype=torch.bool)
    exclude[0, 2] = exclude[2, 0] = exclude[3, 12] = True  # sample 0 vs 2, sample 3 vs 5 (kept ones)
    sub = features[KEEP]  # kept samples 0, 2, 3, 5, 6 -> subset indices 0..4
    sub_exclude = torch.zeros(10, 10, dtype=torch.bool)
    sub_exclude[0, 1] = sub_exclude[1, 0] = sub_exclude[2, 8] = True
    got = InfoNCELoss(temperature=TAU)(features, keep=KEEP, exclude=exclude)
    torch.testing.assert_close(got, hand_nt_xent(sub, exclude=sub_exclude), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('name', sorted(LOSS_VARIANTS))
def test_dropped_samples_get_exactly_zero_gradient(name):
    loss = LOSS_VARIANTS[name](None)
    features = unit(7, 2, 5, seed=6).requires_grad_()
    loss(features, keep=KEEP).backward()
    grad = features.grad
    assert torch.equal(grad[~KEEP], torch.zeros_like(grad[~KEEP]))
    assert bool((grad[KEEP].abs().sum(-1) > 0).all())


def test_keep_and_exclude_validation():
    features = unit(4, 2, 3, seed=7)
    loss = InfoNCELoss()
    with pytest.raises(ValueError, match='keep'):
        loss(features, keep=torch.ones(4))
    with pytest.raises(ValueError, match='keep'):
        loss(features, keep=torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match='exclude'):
        loss(features, exclude=torch.zeros(8, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match='NT-Xent'):
        loss(features[:, :2], queue=unit(5, 3), keep=torch.ones(4, dtype=torch.bool))


def test_dense_to_index_lists_true_columns_padded_with_minus_one():
    mask = torch.tensor([[False, True, False, True], [False, False, False, False], [True, True, True, False]])
    expected = torch.tensor([[1, 3, -1], [-1, -1, -1], [0, 1, 2]])
    assert torch.equal(dense_to_index(mask), expected)
    assert dense_to_index(torch.zeros(2, 3, dtype=torch.bool)).shape == (2, 1)


def test_kept_mean_single_process():
    rows = torch.tensor([1.0, 2.0, 3.0, 6.0], requires_grad=True)
    assert float(kept_mean(rows, None, True)) == pytest.approx(3.0)
    keep = torch.tensor([True, False, False, True])
    assert float(kept_mean(rows, keep, True)) == pytest.approx(3.5)
    nothing = kept_mean(rows, torch.zeros(4, dtype=torch.bool), False)
    assert float(nothing) == 0.0 and nothing.requires_grad


# ----------------------------------------------------------------------------- 3. BatchCurator


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


@pytest.mark.parametrize(
    'policy', [dict(pos_threshold=0.0), dict(keep_fraction=(B - 1) / B)], ids=['threshold', 'fraction']
)
def test_curator_drops_the_antiparallel_pair(policy):
    features = antiparallel_batch()
    z1, z2 = features[:, 0], features[:, 1]
    sims = (z1 * z2).sum(-1)
    assert float(sims[2]) == pytest.approx(-1.0) and bool((sims[torch.arange(B) != 2] > 0).all())
    selection = BatchCurator(**policy).select_pairs(z1, z2)
    expected = torch.ones(B, dtype=torch.bool)
    expected[2] = False
    assert torch.equal(selection.keep, expected)
    assert not selection.skip
    assert selection.stats['kept_frac'] == pytest.approx((B - 1) / B)
    assert selection.stats['pos_sim'] == pytest.approx(float(sims.mean()), abs=1e-6)
    assert selection.stats['pos_sim_kept'] == pytest.approx(float(sims[expected].mean()), abs=1e-6)


def test_keep_fraction_keeps_the_best_scoring_pairs():
    z1, z2 = scored_pairs([0.9, -0.5, 0.1, 0.7, 0.3, -0.9, 0.5, 0.2])
    keep = BatchCurator(keep_fraction=0.5).select_pairs(z1, z2).keep
    assert torch.nonzero(keep).squeeze(1).tolist() == [0, 3, 4, 6]


def test_min_kept_floor_keeps_the_best_scoring_pairs():
    z1, z2 = scored_pairs([-0.2, -0.5, 0.4, -0.1, -0.9, -0.3])
    keep = BatchCurator(pos_threshold=0.9, min_kept=3).select_pairs(z1, z2).keep
    assert torch.nonzero(keep).squeeze(1).tolist() == [0, 2, 3]
    # default floor of 2 with everything below the threshold
    keep = BatchCurator(pos_threshold=0.9).select_pairs(z1, z2).keep
    assert torch.nonzero(keep).squeeze(1).tolist() == [2, 3]


def test_ties_are_broken_by_sample_order():
    scores = torch.tensor([0.1, 0.5, 0.5, 0.2, 0.5, 0.5, 0.5, 0.0])
    z1, z2 = scored_pairs(scores)
    assert torch.equal(BatchCurator.pair_similarity(z1, z2), scores)
    curator = BatchCurator(keep_fraction=3 / 8)
    assert torch.nonzero(curator.select_pairs(z1, z2).keep).squeeze(1).tolist() == [1, 2, 4]
    assert curator.rank_pairs(scores, 4).nonzero().squeeze(1).tolist() == [1, 2, 4, 5]


def test_is_active_follows_the_warmup():
    by_epoch = BatchCurator(warmup_epochs=2)
    assert [by_epoch.is_active(e, 100) for e in range(4)] == [False, False, True, True]
    assert by_epoch.is_active(None, None)
    by_iter = BatchCurator(warmup_iters=5)
    assert not by_iter.is_active(0, 4) and by_iter.is_active(0, 5) and by_iter.is_active(None, None)
    both = BatchCurator(warmup_epochs=1, warmup_iters=10)
    assert not both.is_active(1, 3) and not both.is_active(0, 20) and both.is_active(1, 10)
    assert BatchCurator().is_active(0, 0)


def test_inactive_selection_keeps_all_but_reports_statistics():
    features = antiparallel_batch()
    z1, z2 = features[:, 0], features[:, 1]
    curator = BatchCurator(pos_threshold=0.0, frd_threshold=1e-9)
    selection = curator.select_pairs(z1, z2, active=False)
    assert bool(selection.keep.all()) and not selection.skip
    assert selection.stats['kept_frac'] == 1.0
    assert selection.stats['pos_sim'] == pytest.approx(float((z1 * z2).sum(-1).mean()), abs=1e-6)
    assert selection.stats['frd'] == pytest.approx(float(frechet_distance(z1, z2)), rel=1e-9)
    assert selection.stats['frd'] > 1e-9
    active = curator.select_pairs(z1, z2, active=True)
    assert active.skip and not bool(active.keep[2])


def test_false_negatives_marks_entries_above_the_threshold():
    anchors, contrast = unit(4, 5, seed=4, dtype=torch.float32), unit(6, 5, seed=5, dtype=torch.float32)
    sims = anchors @ contrast.T
    threshold = float(sims.flatten().sort().values[15])
    mask = BatchCurator(neg_threshold=threshold).false_negatives(anchors, contrast)
    assert mask.dtype == torch.bool and mask.shape == (4, 6)
    assert torch.equal(mask, sims > threshold)
    assert int(mask.sum()) == 24 - 16
    assert BatchCurator().false_negatives(anchors, contrast) is None


def test_oversample_returns_the_best_pairs_in_ascending_order():
    z1, z2 = scored_pairs([0.1, 0.8, -0.2, 0.9, 0.5, 0.3])
    index = BatchCurator(select_num=3).oversample(z1, z2)
    assert index.dtype == torch.long and index.tolist() == [1, 3, 4]
    with pytest.raises(ValueError, match=r'select_num=8 .* brought 6'):
        BatchCurator(select_num=8).oversample(z1, z1)
    with pytest.raises(ValueError, match='select_num'):
        BatchCurator().oversample(z1, z1)


@pytest.mark.parametrize(
    'field,value',
    [
        ('pos_threshold', 1.5),
        ('pos_threshold', -1.01),
        ('neg_threshold', 2.0),
        ('keep_fraction', 0.0),
        ('keep_fraction', 1.2),
        ('frd_threshold', 0.0),
        ('frd_threshold', -1.0),
        ('select_num', 1),
        ('min_kept', 0),
        ('warmup_epochs', -1),
        ('warmup_iters', -2),
    ],
)
def test_curator_validates_its_arguments(field, value):
    name = {'warmup_epochs': 'epochs=-1', 'warmup_iters': 'iters=-2'}.get(field, field)
    with pytest.raises(ValueError, match=name):
        BatchCurator(**{field: value})


def test_boundary_arguments_are_accepted():
    BatchCurator(pos_threshold=-1.0, neg_threshold=1.0, keep_fraction=1.0, select_num=2, min_kept=1)


def test_frd_statistic_equals_frechet_distance():
    features = aligned_pairs(16, 6, seed=7, noise=0.8)
    z1, z2 = features[:, 0], features[:, 1]
    stats = BatchCurator().select_pairs(z1, z2).stats
    assert stats['frd'] == pytest.approx(float(frechet_distance(z1, z2)), rel=1e-12)
    assert stats['frd'] > 0
    assert 'frd' not in BatchCurator(log_frd=False).select_pairs(z1, z2).stats


def test_gate_skips_only_when_active_and_above_the_threshold():
    features = aligned_pairs(16, 6, seed=8, noise=0.8)
    z1, z2 = features[:, 0], features[:, 1]
    frd = float(frechet_distance(z1, z2))
    assert BatchCurator(frd_threshold=frd * 0.99).select_pairs(z1, z2).skip
    assert not BatchCurator(frd_threshold=frd * 0.99).select_pairs(z1, z2, active=False).skip
    assert not BatchCurator(frd_threshold=frd * 1.01).select_pairs(z1, z2).skip
    assert not BatchCurator(log_frd=True).select_pairs(z1, z2).skip  # logging only, no gate


# ----------------------------------------------------------------------------- 4. CuratedSimCLR


def test_curation_keeping_everything_equals_contrastive_simclr_bit_for_bit():
    simclr = build('ContrastiveSimCLR')
    curated = clone_into(
        simclr,
        'CuratedSimCLR',
        curator=dict(type='BatchCurator', pos_threshold=-1.0, keep_fraction=1.0, frd_threshold=None),
    )
    assert type(simclr) is ContrastiveSimCLR and type(curated) is CuratedSimCLR
    inputs = images(seed=11)
    ref = step(simclr, inputs, seed=5)
    got = step(curated, inputs, seed=5)
    assert torch.equal(got['loss'], ref['loss'])
    assert float(got['kept_frac']) == 1.0 and float(got['skipped']) == 0.0 and float(got['fn_frac']) == 0.0
    assert_same_grads(curated, simclr, exact=True)
    for name, value in bn_buffers(curated).items():
        assert torch.equal(value, bn_buffers(simclr)[name]), name


def test_curated_returns_its_statistics():
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', keep_fraction=0.5))
    losses = model.loss(images(seed=12), None)
    assert set(losses) == {'loss', 'kept_frac', 'pos_sim', 'pos_sim_kept', 'frd', 'fn_frac', 'skipped'}
    assert float(losses['kept_frac']) == 0.5
    assert float(losses['pos_sim_kept']) >= float(losses['pos_sim'])
    assert all(v.dim() == 0 for v in losses.values())


@pytest.mark.parametrize(
    'policy', [dict(pos_threshold=0.0), dict(keep_fraction=(B - 1) / B)], ids=['threshold', 'fraction']
)
def test_curated_simclr_drops_the_antiparallel_pair_with_zero_gradient(policy, monkeypatch):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', **policy))
    leaf = antiparallel_batch(dim=8).requires_grad_()
    monkeypatch.setattr(model, 'embed', lambda inputs: leaf)
    losses = model.loss(images(seed=13), None)
    losses['loss'].backward()
    assert float(losses['kept_frac']) == pytest.approx((B - 1) / B)
    assert torch.equal(leaf.grad[2], torch.zeros_like(leaf.grad[2]))
    others = torch.arange(B) != 2
    assert bool((leaf.grad[others].abs().sum(-1) > 0).all())
    expected = InfoNCELoss(temperature=TAU)(leaf.detach()[others])
    torch.testing.assert_close(losses['loss'].detach(), expected, rtol=1e-6, atol=0)


def test_curated_false_negative_removal_feeds_the_loss(monkeypatch):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', neg_threshold=0.3))
    features = aligned_pairs(B, 4, seed=14, noise=0.5)
    monkeypatch.setattr(model, 'embed', lambda inputs: features)
    losses = model.loss(images(seed=14), None)
    flat = features.transpose(0, 1).reshape(2 * B, -1)
    exclude = flat @ flat.T > 0.3
    torch.testing.assert_close(losses['loss'], hand_nt_xent(features, exclude=exclude), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(losses['loss'], hand_nt_xent(features))
    # fn_frac: share of the negatives (entries of other samples) that left the denominators
    sample = torch.arange(B).repeat(2)
    negatives = sample[:, None] != sample[None, :]
    expected = float((exclude & negatives).sum()) / float(negatives.sum())
    assert 0 < expected < 1
    assert float(losses['fn_frac']) == pytest.approx(expected)


def test_curated_false_negative_share_counts_only_negatives_of_kept_samples(monkeypatch):
    curator = dict(type='BatchCurator', neg_threshold=0.3, keep_fraction=4 / B)
    model = build('CuratedSimCLR', curator=curator)
    features = aligned_pairs(B, 4, seed=14, noise=0.5)
    monkeypatch.setattr(model, 'embed', lambda inputs: features)
    losses = model.loss(images(seed=14), None)
    keep = BatchCurator(keep_fraction=4 / B).select_pairs(features[:, 0], features[:, 1]).keep
    assert int(keep.sum()) == 4
    sub = features[keep].transpose(0, 1).reshape(8, -1)
    exclude = sub @ sub.T > 0.3
    sample = torch.arange(4).repeat(2)
    negatives = sample[:, None] != sample[None, :]
    expected = float((exclude & negatives).sum()) / float(negatives.sum())
    assert float(losses['fn_frac']) == pytest.approx(expected)
    torch.testing.assert_close(losses['loss'], hand_nt_xent(features[keep], exclude=exclude), rtol=1e-5, atol=1e-6)


def test_curated_false_negative_share_is_zero_when_only_own_views_pass_the_threshold(monkeypatch):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', neg_threshold=0.99))
    features = torch.zeros(B, 2, B)
    features[:, 0] = torch.eye(B)  # orthogonal samples, the two views identical
    features[:, 1] = torch.eye(B)
    monkeypatch.setattr(model, 'embed', lambda inputs: features)
    losses = model.loss(images(seed=14), None)
    assert float(losses['fn_frac']) == 0.0
    torch.testing.assert_close(losses['loss'], hand_nt_xent(features), rtol=1e-6, atol=1e-6)


def test_curated_gate_returns_a_zero_loss_and_rejects_the_batch(clean_message_hub):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', frd_threshold=1e-9))
    losses = model.loss(images(seed=15), None)
    assert float(losses['loss']) == 0.0
    assert losses['loss'].grad_fn is not None
    assert float(losses['skipped']) == 1.0 and float(losses['frd']) > 1e-9
    assert model.rejected is True
    losses['loss'].backward()  # every rank still runs the backward: zero gradients
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())


def test_curated_gate_off_during_warmup(clean_message_hub):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', frd_threshold=1e-9, warmup_epochs=1))
    clean_message_hub.update_info('epoch', 0)
    losses = model.loss(images(seed=15), None)
    assert float(losses['loss']) > 0 and float(losses['skipped']) == 0.0
    assert model.rejected is False


def test_curated_warmup_reads_the_message_hub(clean_message_hub):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', keep_fraction=0.5, warmup_iters=5))
    inputs = images(seed=16)
    clean_message_hub.update_info('iter', 0)
    assert float(model.loss(inputs, None)['kept_frac']) == 1.0
    clean_message_hub.update_info('iter', 4)
    assert float(model.loss(inputs, None)['kept_frac']) == 1.0
    clean_message_hub.update_info('iter', 5)
    assert float(model.loss(inputs, None)['kept_frac']) == 0.5


def test_curated_oversampling_trains_on_the_selected_pairs_and_keeps_bn_stats():
    curated = build('CuratedSimCLR', curator=dict(type='BatchCurator', select_num=4))
    simclr = clone_into(curated, 'ContrastiveSimCLR')
    inputs = images(batch=6, seed=17)
    index = curated.curator.oversample(*curated.score(inputs).unbind(1))
    assert index.tolist() != [0, 1, 2, 3]  # the selection is not the trivial prefix
    before = bn_buffers(curated)
    for name, value in bn_buffers(simclr).items():
        assert torch.equal(value, before[name]), 'score() must not touch the batch-norm statistics'
    got = step(curated, inputs)
    ref = step(simclr, [x[index] for x in inputs])
    torch.testing.assert_close(got['loss'], ref['loss'], rtol=1e-6, atol=0)
    assert float(got['kept_frac']) == 1.0
    assert_same_grads(curated, simclr)
    after, ref_after = bn_buffers(curated), bn_buffers(simclr)
    changed = 0
    for name, value in after.items():
        torch.testing.assert_close(value, ref_after[name], rtol=1e-6, atol=1e-7, msg=name)
        changed += int(not torch.equal(value, before[name]))
    assert changed > 0
    assert any(name.endswith('running_mean') for name in after)


def test_curated_oversampling_uses_the_first_select_num_during_warmup(clean_message_hub):
    curator = dict(type='BatchCurator', select_num=4, warmup_iters=3)
    curated = build('CuratedSimCLR', curator=curator)
    simclr = clone_into(curated, 'ContrastiveSimCLR')
    clean_message_hub.update_info('iter', 0)
    inputs = images(batch=6, seed=17)
    got = step(curated, inputs)
    ref = step(simclr, [x[:4] for x in inputs])
    torch.testing.assert_close(got['loss'], ref['loss'], rtol=1e-6, atol=0)
    assert_same_grads(curated, simclr)
    with pytest.raises(ValueError, match='select_num=4'):
        curated.loss(images(batch=3, seed=1), None)


def test_curated_oversampling_with_a_too_small_batch_raises():
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', select_num=8))
    with pytest.raises(ValueError, match='select_num=8'):
        model.loss(images(batch=6, seed=1), None)


def test_curated_ema_scoring_builds_a_score_encoder_and_steps():
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', keep_fraction=0.5, select_num=4), score_with='ema')
    assert hasattr(model, 'score_encoder')
    assert not hasattr(build('CuratedSimCLR'), 'score_encoder')
    losses = step(model, images(batch=6, seed=18))
    assert torch.isfinite(losses['loss']) and float(losses['loss']) > 0
    assert float(losses['kept_frac']) == 0.5
    assert int(model.score_encoder.steps) == 1
    assert any(p.grad is not None and p.grad.any() for p in model.backbone.parameters())
    assert all(p.grad is None for p in model.score_encoder.parameters())


# ----------------------------------------------------------------------------- 5. preserve_bn_stats


def test_preserve_bn_stats_restores_running_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3))
    net.append(nn.BatchNorm1d(3)).train()
    x = torch.randn(5, 3, 8, 8)
    net(x)  # materialise the lazy layer; one tracked batch
    before = bn_buffers(net)
    assert len(before) == 6
    with preserve_bn_stats(net):
        out = net(x + 1.0)
        changed_inside = not torch.equal(net[1].running_mean, before['1.running_mean'])
    assert changed_inside and out.requires_grad
    for name, value in bn_buffers(net).items():
        assert torch.equal(value, before[name]), name
    net(x + 1.0)
    after = bn_buffers(net)
    for name in before:
        assert not torch.equal(after[name], before[name]), name


# ----------------------------------------------------------------------------- 6. SkipStepOptimWrapper


def _linear_and_wrapper(wrapper_type, **kwargs):
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    return model, wrapper_type(optimizer=optimizer, **kwargs)


def _weights(model):
    return [p.detach().clone() for p in model.parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize('wrapper_type', [SkipStepOptimWrapper, OptimWrapper])
def test_skip_step_wrapper_leaves_a_rejected_step_out(wrapper_type, clean_message_hub):
    model, wrapper = _linear_and_wrapper(wrapper_type)
    x = torch.randn(8, 4)
    start = _weights(model)
    wrapper.update_params(model(x).square().mean())
    after_first = _weights(model)
    assert not _same(start, after_first)
    if wrapper_type is SkipStepOptimWrapper:
        assert wrapper.takes_rejected_batches
        wrapper.update_params(model(x).sum() * 0.0, rejected=True)
        assert _same(after_first, _weights(model))
        assert wrapper.skipped_steps == 1
        wrapper.update_params(model(x).square().mean())  # the next accepted step does update
        assert not _same(after_first, _weights(model)) and wrapper.skipped_steps == 1
    else:
        assert not getattr(wrapper, 'takes_rejected_batches', False)
        wrapper.update_params(model(x).sum() * 0.0)
        # a plain wrapper still applies momentum and weight decay to a zero gradient
        assert not _same(after_first, _weights(model))


def test_skip_step_wrapper_accumulation_steps_when_one_batch_is_accepted(clean_message_hub):
    model, wrapper = _linear_and_wrapper(SkipStepOptimWrapper, accumulative_counts=2)
    ref_model, ref_wrapper = _linear_and_wrapper(OptimWrapper, accumulative_counts=2)
    x = torch.randn(8, 4)
    start = _weights(model)
    wrapper.update_params(model(x).sum() * 0.0, rejected=True)
    assert _same(start, _weights(model))  # window not complete yet
    wrapper.update_params(model(x).square().mean())
    assert not _same(start, _weights(model)) and wrapper.skipped_steps == 0
    # same update as a plain wrapper accumulating (zero gradient + accepted batch)
    ref_wrapper.update_params(ref_model(x).sum() * 0.0)
    ref_wrapper.update_params(ref_model(x).square().mean())
    assert _same(_weights(ref_model), _weights(model))
    # a window of two rejected batches: no step at all
    before = _weights(model)
    for _ in range(2):
        wrapper.update_params(model(x).sum() * 0.0, rejected=True)
    assert _same(before, _weights(model)) and wrapper.skipped_steps == 1


def _batch(seed):
    return dict(inputs=images(seed=seed), data_samples=[DataSample() for _ in range(B)])


@pytest.mark.parametrize('gated', [True, False])
def test_curated_train_step_hands_the_gate_decision_to_the_wrapper(gated):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', frd_threshold=1e-9 if gated else None))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    wrapper = SkipStepOptimWrapper(optimizer=optimizer)
    calls = []
    update = wrapper.update_params
    wrapper.update_params = lambda loss, rejected=False: calls.append(rejected) or update(loss, rejected=rejected)
    logs = model.train_step(_batch(20), wrapper)
    assert calls == [gated] and float(logs['skipped']) == float(gated)
    assert wrapper.skipped_steps == int(gated)


def test_curated_train_step_with_a_plain_wrapper_warns_once(monkeypatch):
    import mmssl_ext.models.algorithms.curated_simclr as curated

    logged = []
    monkeypatch.setattr(curated, 'print_log', lambda message, **kwargs: logged.append(message))
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', frd_threshold=1e-9))
    wrapper = OptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    for seed in (21, 22):
        model.train_step(_batch(seed), wrapper)
    assert len(logged) == 1 and 'takes no rejected batches' in logged[0]


def test_curated_gate_with_skip_step_wrapper_leaves_weights_untouched(clean_message_hub):
    model = build('CuratedSimCLR', curator=dict(type='BatchCurator', frd_threshold=1e-9))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    wrapper = SkipStepOptimWrapper(optimizer=optimizer)
    for p in model.parameters():  # a momentum buffer that would move the weights
        p.grad = torch.ones_like(p)
    wrapper.step()
    wrapper.zero_grad()
    before = {k: v.clone() for k, v in model.state_dict().items() if 'running' not in k and 'num_batches' not in k}
    model.train_step(_batch(19), wrapper)
    assert wrapper.skipped_steps == 1
    for name, value in before.items():
        assert torch.equal(model.state_dict()[name], value), name
