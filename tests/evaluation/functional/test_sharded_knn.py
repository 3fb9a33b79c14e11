"""Sharded weighted kNN: per-shard top-k + merge equals the one-bank vote for any split, chunk and k, ties
included; the real 2-rank run (gloo) with uneven and empty shares gives every rank its queries' one-process scores."""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from mmssl_ext.evaluation import knn_vote, merge_topk, shard_topk, sharded_knn_predict, weighted_knn_predict
from mmssl_ext.evaluation.functional.sharded_knn import PAD_INDEX
from tests.helpers import spawn_ranks

N_BANK, N_QUERY, CLASSES = 50, 23, 5


def _data(seed=0, n_bank=N_BANK, n_query=N_QUERY, dim=8):
    g = torch.Generator().manual_seed(seed)
    bank, query = torch.randn(n_bank, dim, generator=g), torch.randn(n_query, dim, generator=g)
    return bank, torch.randint(0, CLASSES, (n_bank,), generator=g), query


def _simulated(query, bank, labels, world, chunk, k, t=0.1, normalize=True):
    """What `world` ranks holding the bank's every world-th sample compute, in one process."""
    if normalize:
        query, bank = F.normalize(query, dim=1), F.normalize(bank, dim=1)
    index = torch.arange(len(bank))
    k = min(k, len(bank))
    scores, neighbours = [], []
    for start in range(0, len(query), chunk):
        block = query[start : start + chunk]
        shards = [shard_topk(block, bank[r::world], labels[r::world], index[r::world], k) for r in range(world)]
        sim, idx, lab = merge_topk(*(torch.cat(parts, dim=1) for parts in zip(*shards)), k=k)
        scores.append(knn_vote(sim, lab, CLASSES, t))
        neighbours.append(idx)
    return torch.cat(scores), torch.cat(neighbours)


@pytest.mark.parametrize('world', [1, 2, 3])
@pytest.mark.parametrize('chunk', [1, 7, N_QUERY])
@pytest.mark.parametrize('k', [1, 13, 20, 50, 80])  # 20 > a shard of 3 ranks (16-17), 13 divides nothing, 80 > bank
def test_shards_and_chunks_give_the_one_bank_vote(world, chunk, k):
    bank, labels, query = _data()
    expected = weighted_knn_predict(query, bank, labels, CLASSES, k=k, temperature=0.1)
    scores, neighbours = _simulated(query, bank, labels, world, chunk, k)
    # the same neighbours, best first (random features: no ties), and the same votes up to float32 matmul paths
    sims = F.normalize(query, dim=1) @ F.normalize(bank, dim=1).T
    assert torch.equal(neighbours, sims.topk(min(k, N_BANK), dim=1).indices)
    torch.testing.assert_close(scores, expected, rtol=1e-5, atol=0.0)
    assert torch.equal(scores.argmax(dim=1), expected.argmax(dim=1))


@pytest.mark.parametrize('chunk', [1, 7, 512])
def test_one_process_path_equals_the_reference(chunk):
    bank, labels, query = _data(seed=1)
    for k in (1, 13, 200):
        got = sharded_knn_predict(query, bank, labels, None, CLASSES, k=k, chunk_size=chunk)
        expected = weighted_knn_predict(query, bank, labels, CLASSES, k=k, chunk_size=chunk)
        # one process, the same chunks: the same matmuls, so the same bits
        assert torch.equal(got, expected)


def test_ties_go_to_the_lower_bank_index_whatever_the_split():
    # 40 bank samples over 4 small-integer directions: every similarity is exact (integer sums, whatever the
    # matmul's order or FMA use) and shared by 10 samples, so the split and the chunks can only change the ties
    g = torch.Generator().manual_seed(3)
    directions = torch.randint(0, 3, (4, 6), generator=g).float()
    bank, labels = directions[torch.arange(40) % 4], torch.arange(40) % CLASSES
    query = torch.randint(0, 3, (5, 6), generator=g).float()
    sims = query @ bank.T
    for k in (3, 10, 15, 40):
        # the full stable order: by similarity, equal ones by index
        order = sims.sort(dim=1, descending=True, stable=True).indices[:, :k]
        expected = knn_vote(sims.gather(1, order), labels[order], CLASSES, 10.0)  # T=10: no overflow
        for world in (1, 2, 3):
            for chunk in (1, 2, 5):
                scores, neighbours = _simulated(query, bank, labels, world, chunk, k, t=10.0, normalize=False)
                assert torch.equal(neighbours, order), (k, world, chunk)
                assert torch.equal(scores, expected), (k, world, chunk)


def test_a_short_or_empty_shard_is_padded():
    bank, labels, query = _data(n_bank=3)
    sim, idx, lab = shard_topk(query, bank, labels, torch.tensor([7, 2, 5]), k=5)
    assert sim.shape == idx.shape == lab.shape == (N_QUERY, 5)
    assert torch.isinf(sim[:, 3:]).all() and (idx[:, 3:] == PAD_INDEX).all() and (lab[:, 3:] == -1).all()
    assert set(idx[0, :3].tolist()) == {7, 2, 5}
    sim, idx, _ = shard_topk(query, bank[:0], labels[:0], torch.zeros(0, dtype=torch.long), k=2)
    assert torch.isinf(sim).all() and (idx == PAD_INDEX).all()


def test_bad_arguments_are_named():
    bank, labels, query = _data()
    with pytest.raises(ValueError, match='one dim'):
        sharded_knn_predict(query[:, :3], bank, labels, None, CLASSES)
    with pytest.raises(ValueError, match='49 labels for 50 bank features'):
        sharded_knn_predict(query, bank, labels[:49], None, CLASSES)
    with pytest.raises(ValueError, match='chunk_size >= 1'):
        sharded_knn_predict(query, bank, labels, None, CLASSES, chunk_size=0)
    with pytest.raises(ValueError, match='bank is empty on every rank'):
        sharded_knn_predict(query, bank[:0], labels[:0], None, CLASSES)


# rank 0 holds 5 bank samples (fewer than k) and 20 queries, rank 1 the other 45 and 3 queries: the ranks run
# different numbers of own chunks, and rank 1 runs out of queries first
BANK_SPLIT, QUERY_SPLIT = 5, 20


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    bank, labels, query = _data(seed=2)
    mine = slice(0, BANK_SPLIT) if rank == 0 else slice(BANK_SPLIT, None)
    queries = slice(0, QUERY_SPLIT) if rank == 0 else slice(QUERY_SPLIT, None)
    index = torch.arange(N_BANK)[mine].flip(0)  # any distinct global indices, in any order
    scores = sharded_knn_predict(query[queries], bank[mine], labels[mine], index, CLASSES, k=12, chunk_size=8)
    torch.save(scores, os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.mark.dist  # 2 processes
def test_two_ranks_with_uneven_shards_give_the_one_process_scores(tmp_path):
    bank, labels, query = _data(seed=2)
    index = torch.cat([torch.arange(BANK_SPLIT).flip(0), torch.arange(BANK_SPLIT, N_BANK).flip(0)])
    expected = sharded_knn_predict(query, bank, labels, index, CLASSES, k=12, chunk_size=8)
    got = spawn_ranks(_worker, tmp_path)
    assert [len(s) for s in got] == [QUERY_SPLIT, N_QUERY - QUERY_SPLIT]
    torch.testing.assert_close(torch.cat(got), expected, rtol=1e-5, atol=0.0)
    reference = weighted_knn_predict(query, bank, labels, CLASSES, k=12)
    assert torch.equal(torch.cat(got).argmax(dim=1), reference.argmax(dim=1))


def test_accuracy_of_gathered_hits_equals_the_metric():
    from mmssl_ext.evaluation import KNNAccuracy, sharded_topk_accuracy

    bank, labels, query = _data(seed=4)
    query_labels = torch.randint(0, CLASSES, (N_QUERY,), generator=torch.Generator().manual_seed(5))
    expected = KNNAccuracy(k=9, topk=(1, 2)).score(bank, labels, query, query_labels)
    scores = sharded_knn_predict(query, bank, labels, None, CLASSES, k=9)
    assert sharded_topk_accuracy(scores, query_labels, torch.arange(N_QUERY), (1, 2)) == expected
    order = torch.randperm(N_QUERY, generator=torch.Generator().manual_seed(6))  # a rank's rows in any order
    assert sharded_topk_accuracy(scores[order], query_labels[order], order, (1, 2)) == expected
    assert 0.0 < expected['knn/top1'] < expected['knn/top2'] < 100.0
