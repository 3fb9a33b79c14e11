"""CuratedSimCLR: curation in the step, statistics, false negatives, gate, oversampling, EMA scoring, the wrapper."""

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmssl_ext.engine.optim_wrappers import SkipStepOptimWrapper
from mmssl_ext.models.algorithms import ContrastiveSimCLR, CuratedSimCLR
from mmssl_ext.models.curation import BatchCurator
from mmssl_ext.models.losses import NTXentLoss
from tests.models.algorithms.simclr_helpers import (
    _MISSING,
    HUB_KEYS,
    TAU,
    B,
    aligned_pairs,
    antiparallel_batch,
    assert_same_grads,
    bn_buffers,
    build,
    clone_into,
    hand_nt_xent,
    images,
    step,
)


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


def test_curated_config_errors():
    with pytest.raises(ValueError, match='score_with'):
        build('CuratedSimCLR', score_with='target')
    with pytest.raises(ValueError, match='NTXentLoss or DCLLoss'):
        build('CuratedSimCLR', loss=dict(type='SupConLoss', temperature=0.2))
    with pytest.raises(ValueError, match='num_views'):
        build('CuratedSimCLR', num_views=3)
    with pytest.raises(ValueError, match='ema_momentum'):
        build('CuratedSimCLR', score_with='ema', ema_momentum=0.0)


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
    expected = NTXentLoss(temperature=TAU)(leaf.detach()[others])
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
