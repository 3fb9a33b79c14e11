# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Speed and peak memory of the contrastive losses (forward + backward), against straightforward references.

Each measurement runs in a fresh subprocess: peak memory is the growth of the process's resident set
(``VmHWM`` minus ``VmRSS`` once the inputs exist), time the median of ``--repeats`` forward+backward
passes after one warm-up. ``N`` is the number of rows (all views of the batch, ``V = 2``), ``D = 128``.

Usage::

    python bench/losses.py                        # print the table
    python bench/losses.py --write                # and replace the table in docs/benchmarks.md
    python bench/losses.py --sizes 512 2048 --losses supcon infonce
"""

import argparse
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.common import write_block  # noqa: E402

# name -> list of implementations; 'ref' entries are the straightforward re-implementations below
CASES = {
    'infonce': ['ours', 'ours_chunked', 'ref'],
    'supcon': ['ours', 'ours_chunked', 'ref'],
    'dcl': ['ours', 'ref'],
    'dclw': ['ours'],
    'eps_supinfonce': ['ours', 'ours_chunked', 'ref'],
    'unicon': ['ours'],
    'fnc': ['ours'],
    'moco_infonce': ['ours'],
    'sce': ['ours'],
    'ddm': ['ours'],
    'paco': ['ours'],
    'renyi': ['ours'],
    'relic': ['ours'],
    'cmc': ['ours'],
    'fairkl': ['ours'],
}
CHUNK = 1024
# CMC gathers B x (K + 1) x D bank rows per view pair (per-sample noise, as the official code): at N = 8192
# (B = 4096, K = 4096) that is 8.6 GB, so it is measured up to N = 2048.
SIZE_LIMITS = {'cmc': 2048}
SIZE_LIMITS_WHY = {'cmc': 'per-sample negatives gather B x (K+1) x D bank rows (8.6 GB at B = 4096)'}


def _rss_kb(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _ref_supcon(features, labels, tau):
    """HobbitLong/SupContrast-style dense SupCon (float masks, exp * mask, log of the sum)."""
    import torch

    b, v, _ = features.shape
    mask = torch.eq(labels[:, None], labels[None, :]).float()
    contrast = torch.cat(torch.unbind(features, dim=1), dim=0)
    logits = contrast @ contrast.T / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    mask = mask.repeat(v, v)
    logits_mask = torch.ones_like(mask)
    logits_mask.fill_diagonal_(0)
    mask = mask * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
    n = mask.sum(1)
    n = torch.where(n < 1e-6, torch.ones_like(n), n)
    return -((mask * log_prob).sum(1) / n).mean()


def _ref_ntxent(features, tau):
    """TF SimCLR-style NT-Xent (mean convention): logits with a -1e9 diagonal, cross-entropy."""
    import torch
    import torch.nn.functional as F

    z = torch.cat(torch.unbind(features, dim=1), dim=0)
    n = z.shape[0] // 2
    logits = z @ z.T / tau - 1e9 * torch.eye(2 * n)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(logits, target)


def _ref_dcl(features, tau):
    """Third-party-style DCL: dense similarity, positive and self columns masked out of the denominator."""
    import torch

    z = torch.cat(torch.unbind(features, dim=1), dim=0)
    n = z.shape[0] // 2
    sim = z @ z.T / tau
    same = torch.eye(n).repeat(2, 2).bool()
    pos = sim[torch.arange(2 * n), torch.cat([torch.arange(n, 2 * n), torch.arange(n)])]
    neg = torch.log((torch.exp(sim) * (~same).float()).sum(1))
    return (neg - pos).mean() * 2


def _ref_eps(features, labels, tau, eps):
    """EIDOSLAB-style epsilon-SupInfoNCE 'out' (dense, per-pair denominators)."""
    import math

    import torch

    b, v, _ = features.shape
    z = torch.cat(torch.unbind(features, dim=1), dim=0)
    logits = z @ z.T / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    mask = torch.eq(labels[:, None], labels[None, :]).float().repeat(v, v)
    not_self = 1 - torch.eye(v * b)
    pos = mask * not_self
    neg = (1 - mask) * not_self
    exp = torch.exp(logits)
    neg_sum = (exp * neg).sum(1, keepdim=True)
    log_prob = logits - torch.log(math.exp(-eps) * exp + neg_sum + 1e-6)
    return -((pos * log_prob).sum(1) / pos.sum(1).clamp(min=1)).mean()


def _build(name, impl, n, seed=0):
    """Return (closure running forward + backward, list of input tensors)."""
    import torch
    import torch.nn.functional as F

    from mmssl_ext.models import losses as L

    torch.manual_seed(seed)
    b, d = n // 2, 128
    chunk = CHUNK if impl == 'ours_chunked' else None
    x = F.normalize(torch.randn(b, 2, d), dim=-1).requires_grad_(True)
    labels = torch.randint(100, (b,))
    queue = F.normalize(torch.randn(4096, d), dim=-1)
    if impl == 'ref':
        fn = {
            'infonce': lambda: _ref_ntxent(x, 0.1),
            'supcon': lambda: _ref_supcon(x, labels, 0.1),
            'dcl': lambda: _ref_dcl(x, 0.1),
            'eps_supinfonce': lambda: _ref_eps(x, labels, 0.1, 0.5),
        }[name]
    elif name == 'infonce':
        loss = L.InfoNCELoss(0.1, chunk_size=chunk)
        fn = lambda: loss(x)  # noqa: E731
    elif name == 'supcon':
        loss = L.SupConLoss(0.1, 0.1, chunk_size=chunk)
        fn = lambda: loss(x, labels)  # noqa: E731
    elif name in ('dcl', 'dclw'):
        loss = L.DCLLoss(0.1, weight_fn='vmf' if name == 'dclw' else None)
        fn = lambda: loss(x)  # noqa: E731
    elif name == 'eps_supinfonce':
        loss = L.EpsSupInfoNCELoss(0.1, 0.1, epsilon=0.5, chunk_size=chunk)
        fn = lambda: loss(x, labels)  # noqa: E731
    elif name == 'unicon':
        u = F.normalize(torch.randn(b, 2, d), dim=-1).requires_grad_(True)
        loss = L.UniConLoss(0.1)
        fn = lambda: loss(x, u, labels)  # noqa: E731
    elif name == 'fnc':
        loss = L.FNCLoss(0.1)
        fn = lambda: loss(x)  # noqa: E731
    elif name == 'moco_infonce':
        loss = L.InfoNCELoss(0.2)
        fn = lambda: loss(x, queue)  # noqa: E731
    elif name == 'sce':
        loss = L.SCELoss()
        fn = lambda: loss(x, queue)  # noqa: E731
    elif name == 'ddm':
        loss = L.DDMLoss()
        fn = lambda: loss(x[:, :1], x[:, 1:], queue)  # noqa: E731
    elif name == 'paco':
        logits = torch.randn(b, 100, requires_grad=True)
        loss = L.PaCoLoss(100)
        fn = lambda: loss(x, labels, logits, queue, torch.randint(100, (4096,)))  # noqa: E731
    elif name == 'renyi':
        loss = L.RenyiContrastiveLoss()
        fn = lambda: loss(x, x.detach())  # noqa: E731
    elif name == 'relic':
        loss = L.ReLICLoss()
        fn = lambda: loss(x, x.detach())  # noqa: E731
    elif name == 'cmc':
        banks = F.normalize(torch.randn(2, 16384, d), dim=-1)
        idx = torch.randint(16384, (b,))
        loss = L.CMCLoss(num_negatives=4096)
        fn = lambda: loss(x, banks, idx)  # noqa: E731
    elif name == 'fairkl':
        loss = L.FairKLLoss()
        fn = lambda: loss(x, labels, labels % 7)  # noqa: E731
    else:
        raise KeyError(name)

    def step():
        x.grad = None
        fn().backward()

    return step


def _measure(name, impl, n, repeats):
    """Child process: one warm-up pass for memory, then timed passes."""
    import torch

    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', os.cpu_count() or 1)))
    step = _build(name, impl, n)
    base = _rss_kb('VmRSS')
    step()
    peak = _rss_kb('VmHWM') - base
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return {'ms': 1000 * statistics.median(times), 'mb': peak / 1024}


def _spawn(name, impl, n, repeats):
    code = (
        'import json, sys; sys.path.insert(0, %r); from bench.losses import _measure; '
        'print(json.dumps(_measure(%r, %r, %d, %d)))' % (ROOT, name, impl, n, repeats)
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        return {'error': out.stderr.strip().splitlines()[-1] if out.stderr.strip() else 'failed'}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(rows):
    lines = [
        '| loss | N | impl | fwd+bwd ms | peak MB | speed-up vs ref | memory vs ref |',
        '|---|---|---|---|---|---|---|',
    ]
    for (name, n), impls in rows.items():
        ref = impls.get('ref')
        for impl, r in impls.items():
            if 'error' in r:
                lines.append(f'| {name} | {n} | {impl} | error: {r["error"][:60]} | | | |')
                continue
            speed = mem = ''
            if ref and 'error' not in ref and impl != 'ref':
                speed = f'{ref["ms"] / r["ms"]:.2f}x'
                mem = f'{r["mb"] / max(ref["mb"], 1e-9):.2f}x'
            lines.append(f'| {name} | {n} | {impl} | {r["ms"]:.1f} | {r["mb"]:.0f} | {speed} | {mem} |')
    return '\n'.join(lines)


def main(argv=None) -> dict:
    """Run the benchmark and print (optionally write) the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', type=int, nargs='+', default=[512, 2048, 8192])
    parser.add_argument('--losses', nargs='+', default=list(CASES), choices=list(CASES))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--write', action='store_true', help='replace the table in docs/benchmarks.md')
    args = parser.parse_args(argv)
    rows = {}
    for name in args.losses:
        for n in args.sizes:
            if name in SIZE_LIMITS and n > SIZE_LIMITS[name]:
                print(f'skip {name} N={n}: {SIZE_LIMITS_WHY[name]}')
                continue
            rows[(name, n)] = {}
            for impl in CASES[name]:
                rows[(name, n)][impl] = r = _spawn(name, impl, n, args.repeats)
                print(name, n, impl, r, flush=True)
    table = _table(rows)
    print(table)
    if args.write:
        import torch

        header = (
            f'Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch '
            f'{torch.__version__}, {torch.get_num_threads()} threads. Command: `python bench/losses.py '
            f'--sizes {" ".join(map(str, args.sizes))} --repeats {args.repeats} --write`. '
            f'`ours_chunked` uses `chunk_size={CHUNK}`.'
        )
        write_block('bench/losses.py', 'Contrastive losses: time and peak memory (CPU)', [header, '', table])
    return rows


if __name__ == '__main__':
    main()
