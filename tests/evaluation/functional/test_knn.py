"""Weighted kNN: equality to the reference formula, chunk invariance, scale invariance, shape errors."""

import math

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.evaluation import weighted_knn_predict


def reference_knn(query, bank, labels, num_classes, k, t):
    """Direct loop transcription of InstDisc's weighted vote."""
    query, bank = F.normalize(query, dim=1), F.normalize(bank, dim=1)
    out = torch.zeros(len(query), num_classes, dtype=torch.float64)
    for i, q in enumerate(query):
        sims = [(float(q @ b), int(y)) for b, y in zip(bank, labels)]
        sims.sort(key=lambda s: -s[0])
        for s, y in sims[:k]:
            out[i, y] += math.exp(s / t)
    return out


@pytest.mark.parametrize('k,t', [(1, 0.1), (5, 0.07), (200, 0.5)])
def test_matches_reference_formula(k, t):
    g = torch.Generator().manual_seed(0)
    bank, query = torch.randn(60, 16, generator=g), torch.randn(13, 16, generator=g)
    labels = torch.randint(0, 4, (60,), generator=g)
    got = weighted_knn_predict(query, bank, labels, 4, k=k, temperature=t, chunk_size=5)
    torch.testing.assert_close(got.double(), reference_knn(query, bank, labels, 4, k, t), rtol=1e-5, atol=1e-5)


def test_chunking_does_not_change_scores():
    g = torch.Generator().manual_seed(1)
    bank, query = torch.randn(100, 8, generator=g), torch.randn(37, 8, generator=g)
    labels = torch.randint(0, 3, (100,), generator=g)
    a = weighted_knn_predict(query, bank, labels, 3, k=10, chunk_size=1)
    b = weighted_knn_predict(query, bank, labels, 3, k=10, chunk_size=1000)
    # Votes are sums of exp(s / 0.07) (up to ~1e6): a chunk of 1 and one of 1000 take different float32 matmul
    # paths, so compare relative to the vote size (a wrong chunk offset would be off by whole votes).
    torch.testing.assert_close(a, b, rtol=1e-5, atol=0.0)


def test_scale_invariance_of_cosine_votes():
    g = torch.Generator().manual_seed(2)
    bank, query = torch.randn(30, 8, generator=g), torch.randn(5, 8, generator=g)
    labels = torch.randint(0, 3, (30,), generator=g)
    a = weighted_knn_predict(query, bank, labels, 3, k=7)
    b = weighted_knn_predict(query * 9.0, bank * 0.1, labels, 3, k=7)
    torch.testing.assert_close(a, b)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match='feature dims differ'):
        weighted_knn_predict(torch.randn(2, 3), torch.randn(4, 5), torch.zeros(4), 2)
    with pytest.raises(ValueError, match='bank labels'):
        weighted_knn_predict(torch.randn(2, 3), torch.randn(4, 3), torch.zeros(3), 2)
