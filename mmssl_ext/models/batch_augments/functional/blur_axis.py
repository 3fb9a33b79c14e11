# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The 3 box passes of PIL's Gaussian blur (:mod:`.blur_params`) along one axis of a batch, exact in int32.

Every pass is evaluated exactly in int32 arithmetic modulo ``2**32`` (two's complement wrap-around, as all torch
backends do it), vectorised over the batch with per-sample radii and without any device sync: the weighted window
sum of pixel ``i`` is the difference ``X[i + r] - Y[i - r - 1]`` of two per-sample sequences built from prefix sums
(``X[k] = ww P[k] + fw in[k + 1]`` and ``Y[k] = ww P[k] - fw in[k]``), picked at per-sample offsets; indices beyond
the edges are clamped and the replicated edge pixels added back (their contribution is linear in the overshoot), so
any radius (even one wider than the image) is handled. The pixels are stored centred (``x - 128``) between passes,
so that the true result of every pass, ``(sum + 2**23 >> 24) - 128``, comes out of an int32 arithmetic shift.
"""

from typing import Any, Callable, Dict, List, Tuple

import torch

from .blur_params import _HALF, _ONE, _ONE_BITS, _PASSES, _to_int32
from .blur_scan import _scan_steps

__all__: List[str] = []

_CENTRE = 128


class _AxisBlur:
    """The 3 box passes along dim 0 of ``(L, n, M)`` int32 chunks of a batch, with per-sample ``(r, ww, fw)``.

    Conventions (all int32 modulo ``2**32``): ``W[k] = ww (y[0] + ... + y[k])`` (``W[-1] = 0``),
    ``X[k] = W[k] + fw y[k + 1]`` (``y[L] = y[L - 1]``) and ``Y[k] = W[k] - fw y[k]`` (``y[-1] = y[0]``). With
    ``hi = min(i + r, L - 1)``, ``lo = max(i - r - 1, -1)``, ``tail = i + r - hi`` and ``head = lo - (i - r - 1)``,
    ``X[hi] - Y[lo] + tail ww y[L - 1] + head ww y[0]`` is the weighted window sum of pixel ``i`` with replicated
    edges (beyond the edges the sequences grow linearly). Row ``j`` of a ``(L + 2, 2, n, M)`` buffer holds
    ``(X[j - 2], Y[j - 1])``, so that one op builds both from ``W[j - 2], W[j - 1]`` and ``y[j - 1]`` and one
    gather picks both.

    The first pass reads the pixels ``x`` stored as ``x + bias``, the others read them centred (``x - 128``); every
    pass writes them centred. A bias ``e`` adds ``e (n ww + 2 fw) = e (2**24 - deficit)`` to the window sum, which the
    per-sample offset takes back together with the rounding ``2**23``.

    The rows are processed in blocks: each block of a pass's output feeds the next pass at once (with several blocks
    the even and odd passes use separate ``X``/``Y`` buffers). The work buffers are allocated once, for chunks of up to
    ``chunk`` samples.

    Args:
        length (int): L, the number of rows (pixels along the blurred axis).
        cols (int): M, the values per sample in a row.
        box (tuple): The per-sample ``(r, ww, fw)`` of :func:`.blur_params._box_params`, ``(B,)`` each.
        bias (int): The bias of the first pass's input.
        chunk (int): The largest number of samples n of a chunk.
        block_rows (int): Rows per block.
        scan_rows (bool): Whether the prefix sums are in-place row additions (:func:`.blur_scan._scan_steps`)
            rather than ``cumsum``.
    """

    def __init__(
        self,
        length: int,
        cols: int,
        box: Tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        bias: int,
        chunk: int,
        block_rows: int,
        scan_rows: bool,
    ) -> None:
        r, ww, fw = box
        device = r.device
        self.length, self.cols = length, cols
        self.block_rows = max(1, min(block_rows, length))
        pos = torch.arange(length, device=device).view(length, 1)
        radius = r.view(1, -1)
        hi = (pos + radius).clamp(max=length - 1)
        lo = (pos - radius - 1).clamp(min=-1)
        # Rows of the (L + 2, 2, n, M) buffer (times n, plus the sample) of X[hi] and Y[lo].
        self.rows_index = torch.stack([(hi + 2) * 2, (lo + 1) * 2 + 1], dim=1)  # (L, 2, B)
        self.edge_counts = _to_int32(torch.stack([pos + radius - hi, lo - (pos - radius - 1)]))  # (2, L, B)
        weight = _ONE - (_ONE - (2 * r + 1) * ww - 2 * fw)  # n ww + 2 fw = 2**24 - deficit
        # The output's true value, (sum + 2**23) - 2**31 with sum over the x, is the computed sum + offset.
        offsets = [_HALF + (1 << 31) - (bias if p == 0 else -_CENTRE) * weight for p in range(_PASSES)]
        self.params = _to_int32(torch.stack([ww, fw, -fw, *offsets]))  # (3 + passes, B)
        int32: Dict[str, Any] = dict(dtype=torch.int32, device=device)
        rows = self.block_rows
        self.single_block = rows == length
        seq_size = (length + 2) * 2 * chunk * cols
        self.seq_bufs = [torch.empty(seq_size, **int32) for _ in range(1 if self.single_block else 2)]
        self.sums_buf = torch.empty((rows + 1) * chunk * cols, **int32)
        self.gathered_buf = torch.empty(rows * 2 * chunk * cols, **int32)
        self.edges_buf = torch.empty(2 * 2 * chunk * cols, **int32)
        self.index_buf = torch.empty(length * 2 * chunk, dtype=torch.int64, device=device)
        self.counts_buf = torch.empty(2 * length * chunk, **int32)
        self.params_buf = torch.empty(self.params.shape[0] * chunk, **int32)
        self.scan_rows = scan_rows
        self.layouts: Dict[int, dict] = {}

    def _layout(self, n: int) -> dict:
        """The views of the work buffers for a chunk of n samples (built once per n)."""
        if n in self.layouts:
            return self.layouts[n]
        length, cols, rows = self.length, self.cols, self.block_rows
        row = n * cols
        seqs = [buf[: (length + 2) * 2 * row].view(length + 2, 2, n, cols) for buf in self.seq_bufs]
        if len(seqs) == 1:
            seqs = seqs * 2
        sums = self.sums_buf[: (rows + 1) * row].view(rows + 1, n, cols)
        sum_rows = sums.unbind(0)
        # (first, last) = (ww y[0], ww y[L - 1]) of the two pass parities (first is sums[1] with a single block).
        edges = [tuple(pair.unbind(0)) for pair in self.edges_buf[: 4 * row].view(2, 2, 1, n, cols).unbind(0)]
        if self.single_block:
            edges = [(sums[1:2], last) for _, last in edges]
        # Gather order (row, X / Y, sample) per block; (X / Y, row, sample) with a single block, whose output (the X
        # part) is then contiguous.
        index = self.index_buf[: length * 2 * n].view(length, 2, n)
        if self.single_block:
            index = index.view(2, length, n).transpose(0, 1)
        counts = self.counts_buf[: 2 * length * n].view(2, length, n, 1)
        params = self.params_buf[: self.params.shape[0] * n].view(-1, 1, n, 1)
        blocks = []
        for k0 in range(0, length, rows):
            k1 = min(k0 + rows, length)
            m = k1 - k0
            gathered = self.gathered_buf[: m * 2 * row]
            if self.single_block:
                gathered = gathered.view(2, m, n, cols).transpose(0, 1)
                block_index = index.transpose(0, 1).reshape(-1)  # a view: the buffer is (2, L, n)
            else:
                gathered = gathered.view(m, 2, n, cols)
                block_index = index[k0:k1].view(-1)
            out = gathered[:, 0]
            blocks.append(
                dict(
                    k0=k0,
                    k1=k1,
                    index=block_index,
                    gathered=self.gathered_buf[: m * 2 * row].view(-1, cols),
                    out=out,
                    out_views=self._views(out),
                    other=gathered[:, 1],
                    tail=counts[0, k0:k1],
                    head=counts[1, k0:k1],
                    sums=sums[1 : m + 1],
                    all_sums=sums[: m + 1],
                    scan=_scan_steps(sums[: m + 1], carry=k0 > 0),
                    pairs=sums.as_strided((m, 2, n, cols), (row, row, cols, 1)),
                    dst=[seq[k0 + 1 : k1 + 1] for seq in seqs],
                    carry=(sum_rows[0], sum_rows[m]),
                )
            )
        signed_fw = params[1:3].transpose(0, 1)  # (1, 2, n, 1): (fw, -fw)
        layout = dict(
            seqs=seqs,
            seq_rows=[seq.view(-1, cols) for seq in seqs],
            sums=sums,
            index=index,
            counts=counts,
            params=params,
            ww=params[0],
            fw=params[1],
            neg_fw=params[2],
            signed_fw=signed_fw,
            offsets=params[3:],
            edges=edges,
            y_before=[seq[0, 1:2] for seq in seqs],
            x_last=[seq[-1, :1] for seq in seqs],
            blocks=blocks,
        )
        self.layouts[n] = layout
        return layout

    @staticmethod
    def _views(y: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """``y``, its first and last rows and ``y`` with a unit dim 1, the operands :meth:`_prefix` needs."""
        return y, y[:1], y[-1:], y.unsqueeze(1)

    def _prefix(self, views: Tuple[torch.Tensor, ...], lay: dict, block: dict, p: int) -> None:
        """Build pass ``p``'s ``X``, ``Y`` from the block's input rows (:meth:`_views`; blocks in order)."""
        y, y_first, y_last, y_pairs = views
        sums = block['sums']
        first, last = lay['edges'][p % 2]
        if block['k0'] == 0:
            torch.mul(y_first, lay['neg_fw'], out=lay['y_before'][p % 2])
            if not self.single_block or p == 0:
                lay['sums'][0].zero_()  # W[-1] = 0 (the carry row with several blocks)
        torch.mul(y, lay['ww'], out=sums)
        if block['k0'] == 0 and not self.single_block:
            first.copy_(sums[:1])  # W[0] = ww y[0] (a view of sums[1] is enough with a single block)
        if self.scan_rows:
            for dst, src in block['scan']:
                dst.add_(src)
        else:
            block['all_sums'].cumsum_(0)
        torch.addcmul(block['pairs'], y_pairs, lay['signed_fw'], out=block['dst'][p % 2])
        if block['k1'] == self.length:
            torch.addcmul(sums[-1:], y_last, lay['fw'], out=lay['x_last'][p % 2])
            torch.mul(y_last, lay['ww'], out=last)
        else:
            carry, last_row = block['carry']
            carry.copy_(last_row)

    def __call__(
        self,
        b0: int,
        b1: int,
        read: Callable[[int, int], torch.Tensor],
        write: Callable[[int, int, torch.Tensor], None],
    ) -> None:
        """Blur samples ``b0 .. b1 - 1`` (a chunk of n <= ``chunk`` samples).

        ``read(k0, k1)`` gives their int32 input rows ``k0 .. k1 - 1``, ``(k1 - k0, n, M)``; ``write(i0, i1, rows)``
        takes the centred int32 output rows, a temporary that ``write`` may modify.
        """
        n = b1 - b0
        lay = self._layout(n)
        lay['params'].view(-1, n).copy_(self.params[:, b0:b1])
        lay['counts'].view(2, -1, n).copy_(self.edge_counts[:, :, b0:b1])
        torch.add(torch.arange(n, device=self.params.device), self.rows_index[:, :, b0:b1], alpha=n, out=lay['index'])
        blocks = lay['blocks']
        for block in blocks:
            self._prefix(self._views(read(block['k0'], block['k1'])), lay, block, 0)
        for p in range(_PASSES):
            rows = lay['seq_rows'][p % 2]
            first, last = lay['edges'][p % 2]
            offset = lay['offsets'][p]
            for block in blocks:
                torch.index_select(rows, 0, block['index'], out=block['gathered'])
                out = block['out'].sub_(block['other'])
                out.addcmul_(block['tail'], last).addcmul_(block['head'], first).add_(offset)
                out.bitwise_right_shift_(_ONE_BITS)
                if p < _PASSES - 1:
                    self._prefix(block['out_views'], lay, block, p + 1)
                else:
                    write(block['k0'], block['k1'], out)
