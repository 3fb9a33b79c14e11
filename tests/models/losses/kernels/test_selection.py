"""`keep` / `exclude` of the SimCLR-style losses (selection_masks), dense_to_index and kept_mean."""

import pytest
import torch

from mmssl_ext.models.losses import DCLLoss, InfoNCELoss, NTXentLoss
from mmssl_ext.models.losses.kernels import dense_to_index, kept_mean
from tests.models.algorithms.simclr_helpers import TAU, hand_nt_xent, unit


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


LOSS_VARIANTS = {
    'infonce-mean': lambda chunk: NTXentLoss(temperature=TAU, chunk_size=chunk),
    'infonce-sum': lambda chunk: NTXentLoss(temperature=TAU, reduction='sum', chunk_size=chunk),
    'dcl': lambda chunk: DCLLoss(temperature=TAU, chunk_size=chunk),
    'dclw-vmf': lambda chunk: DCLLoss(temperature=TAU, weight_fn='vmf', sigma=0.5, chunk_size=chunk),
}


KEEP = torch.tensor([True, False, True, True, False, True, True])  # 7 samples, 2 dropped


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
    loss = NTXentLoss(temperature=TAU, chunk_size=chunk)
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
    got = NTXentLoss(temperature=TAU)(features, keep=KEEP, exclude=exclude)
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
    loss = NTXentLoss()
    with pytest.raises(ValueError, match='keep'):
        loss(features, keep=torch.ones(4))
    with pytest.raises(ValueError, match='keep'):
        loss(features, keep=torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match='exclude'):
        loss(features, exclude=torch.zeros(8, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match='NT-Xent'):
        # the deprecated InfoNCELoss (both forms in one class) refuses a selection with a queue
        InfoNCELoss()(features[:, :2], queue=unit(5, 3), keep=torch.ones(4, dtype=torch.bool))


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
