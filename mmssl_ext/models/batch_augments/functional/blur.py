# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched Gaussian blur, bit-exact to PIL's ``ImageFilter.GaussianBlur`` (mmpretrain's ``GaussianBlur``).

PIL approximates a Gaussian of standard deviation ``sigma`` by 3 passes of an "extended box blur" along the rows,
then 3 passes along the columns, rounding to uint8 after every pass (``ImagingGaussianBlur`` / ``ImagingBoxBlur``
in ``BoxBlur.c``). The fractional box radius for 3 passes (Gwosdek et al., SSVM 2011) is, in C float arithmetic
(``sqrt`` and ``floor`` in double)::

    sigma2 = sigma * sigma / 3
    L = sqrt(12 * sigma2 + 1)
    l = floor((L - 1) / 2)
    a = (2 l + 1) (l (l + 1) - 3 sigma2) / (6 (sigma2 - (l + 1)^2))
    radius = l + a

and one pass with integer radius ``r = int(radius)`` uses the 24-bit fixed-point weights
``ww = (uint32)(2**24 / (2 radius + 1))`` for the ``n = 2 r + 1`` pixels of the box and
``fw = (2**24 - n ww) // 2`` for the two pixels just outside it, with the edge pixels replicated::

    out[i] = (ww * sum(in[i - r .. i + r]) + fw * (in[i - r - 1] + in[i + r + 1]) + 2**23) >> 24

Here every pass is evaluated exactly in int32 arithmetic modulo ``2**32`` (two's complement wrap-around, as all torch
backends do it), vectorised over the batch with per-sample radii and without any device sync: the weighted window
sum of pixel ``i`` is the difference ``X[i + r] - Y[i - r - 1]`` of two per-sample sequences built from prefix sums
(``X[k] = ww P[k] + fw in[k + 1]`` and ``Y[k] = ww P[k] - fw in[k]``), picked at per-sample offsets; indices beyond
the edges are clamped and the replicated edge pixels added back (their contribution is linear in the overshoot), so
any radius (even one wider than the image) is handled. The pixels are stored centred (``x - 128``) between passes,
so that the true result of every pass, ``(sum + 2**23 >> 24) - 128``, comes out of an int32 arithmetic shift.

The data is laid out with the blurred axis first, ``(L, n, M)`` (the passes along the width on the transposed image,
then those along the height), so that the prefix sums are row additions and the per-sample offsets are row gathers.
On the CPU the batch is processed in chunks of samples (and large images in blocks of rows) sized for the cache, each
block of a pass's output feeding the next pass at once; on other devices the whole batch is one chunk and one block.
"""

from typing import Any, Callable, Dict, Tuple

import torch

__all__ = ['gaussian_blur']

_PASSES = 3
_ONE_BITS = 24
_ONE = 1 << _ONE_BITS
_HALF = 1 << (_ONE_BITS - 1)
_CENTRE = 128
# For an integer 0 <= x < 2**23, the float32 2**23 + x has the int32 bits _FLOAT_INT_BITS + x.
_FLOAT_INT_BASE = float(1 << 23)
_FLOAT_INT_BITS = 0x4B000000
# CPU work sizes (in int32 elements): images up to _CPU_SINGLE_BLOCK_ELEMENTS values are blurred in chunks of about
# _CPU_CHUNK_ELEMENTS values, all rows at once; larger ones in chunks of about _CPU_LARGE_CHUNK_ELEMENTS values, in
# blocks of about _CPU_BLOCK_ELEMENTS values.
_CPU_SINGLE_BLOCK_ELEMENTS = 1 << 18
_CPU_CHUNK_ELEMENTS = 1 << 16
_CPU_LARGE_CHUNK_ELEMENTS = 1 << 19
_CPU_BLOCK_ELEMENTS = 1 << 15


def _box_params(sigma: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PIL's per-pass box parameters ``(r, ww, fw)`` (int64, same shape as ``sigma``) for a Gaussian of ``sigma``.

    Evaluates ``_gaussian_blur_radius`` and the weights of ``ImagingHorizontalBoxBlur`` with the same float32 /
    double operations as the C code.
    """
    f32, f64 = torch.float32, torch.float64
    sigma = sigma.to(f32)
    # IEEE divisions need tensor divisors: ``c / t`` is ``c * t.reciprocal()`` in torch, and CUDA multiplies
    # ``t / c`` by ``1 / c`` for a Python scalar ``c``.
    sigma2 = torch.div(sigma * sigma, torch.full_like(sigma, float(_PASSES)))
    box_len = torch.sqrt(12.0 * sigma2.to(f64) + 1.0).to(f32)
    whole = torch.floor((box_len.to(f64) - 1.0) / 2.0).to(f32)
    frac = (2.0 * whole + 1.0) * (whole * (whole + 1.0) - 3.0 * sigma2)
    frac = frac / (6.0 * (sigma2 - (whole + 1.0) * (whole + 1.0)))
    radius = whole + frac
    r = torch.trunc(radius).to(torch.int64)
    ww = torch.trunc(torch.div(torch.full_like(radius, float(_ONE)), radius * 2.0 + 1.0)).to(torch.int64)
    fw = torch.div(_ONE - (2 * r + 1) * ww, 2, rounding_mode='floor')
    return r, ww, fw


def _to_int32(value: torch.Tensor) -> torch.Tensor:
    """Reduce an int64 tensor modulo ``2**32`` into the int32 range (two's complement)."""
    return (value & 0xFFFFFFFF).sub_(((value >> 31) & 1) << 32).to(torch.int32)


def _scan_steps(rows: torch.Tensor, carry: bool) -> list:
    """In-place ops ``(dst, src)`` (``dst.add_(src)`` in order) that turn ``rows[1:]`` into its prefix sums along dim 0.

    With ``carry``, ``rows[0]`` is added to all of them. A two-level scheme (prefix sums within groups of about
    ``sqrt(len)`` rows, then of the group totals, then the carries into the groups) needs about ``2 sqrt(len)``
    ops instead of ``len``.
    """
    body = rows[1:]
    length = body.shape[0]
    steps = [(body[0], rows[0])] if carry else []
    size = max(1, round(length**0.5))
    groups = length // size
    if groups < 2 or size < 2:
        steps += [(body[k], body[k - 1]) for k in range(1, length)]
        return steps
    grid = body[: groups * size].view(groups, size, *body.shape[1:])
    steps += [(grid[:, k], grid[:, k - 1]) for k in range(1, size)]
    steps += [(grid[g, -1], grid[g - 1, -1]) for g in range(1, groups)]
    steps.append((grid[1:, :-1], grid[:-1, -1:]))
    steps += [(body[k], body[k - 1]) for k in range(groups * size, length)]
    return steps


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
        box (tuple): The per-sample ``(r, ww, fw)`` of :func:`_box_params`, ``(B,)`` each.
        bias (int): The bias of the first pass's input.
        chunk (int): The largest number of samples n of a chunk.
        block_rows (int): Rows per block.
        scan_rows (bool): Whether the prefix sums are in-place row additions (:func:`_scan_steps`) rather than
            ``cumsum``.
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


def _schedule(shape: torch.Size, device: torch.device) -> Tuple[int, int, int, bool]:
    """The work schedule of a ``(B, C, H, W)`` batch: ``(chunk, rows_w, rows_h, scan_rows)``.

    These are the samples per chunk, the rows per block along W and H, and whether the prefix sums are row additions
    (the CPU) or ``cumsum`` (other devices, which get one chunk and one block).
    """
    batch, channels, height, width = shape
    if device.type != 'cpu':
        return batch, width, height, False
    plane = channels * height * width
    if plane <= _CPU_SINGLE_BLOCK_ELEMENTS:
        return min(batch, max(1, _CPU_CHUNK_ELEMENTS // plane)), width, height, True
    chunk = min(batch, max(1, _CPU_LARGE_CHUNK_ELEMENTS // plane))
    rows_w = max(1, _CPU_BLOCK_ELEMENTS // (chunk * channels * height))
    rows_h = max(1, _CPU_BLOCK_ELEMENTS // (chunk * channels * width))
    return chunk, rows_w, rows_h, True


def _check_inputs(img: torch.Tensor, sigma: torch.Tensor) -> None:
    """Raise ValueError unless ``img`` is a float32 ``(B, C, H, W)`` tensor and ``sigma`` a ``(B,)`` tensor."""
    if not isinstance(img, torch.Tensor) or img.dim() != 4 or img.dtype != torch.float32:
        desc = f'{tuple(img.shape)} {img.dtype}' if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f'gaussian_blur: img must be a (B, C, H, W) float32 tensor, got {desc}')
    batch = img.shape[0]
    if not isinstance(sigma, torch.Tensor) or sigma.shape != (batch,):
        shape = tuple(sigma.shape) if isinstance(sigma, torch.Tensor) else type(sigma).__name__
        raise ValueError(f'gaussian_blur: sigma must be a tensor of shape (B,) = ({batch},), got {shape}')


def gaussian_blur(img: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Gaussian blur with per-sample ``sigma``: PIL ``ImageFilter.GaussianBlur(radius=sigma)`` per sample (bit-exact).

    This is mmpretrain's ``GaussianBlur(magnitude_range=..., magnitude_std='inf', prob=1)`` for a drawn sigma (PIL
    takes the radius as a C float, so a float32 sigma gives the same result). Each channel is blurred independently,
    so the channel order does not matter and any C works. ``sigma`` must be >= 0 (not checked: reading it would need
    a device sync); sigma 0 returns the input values.

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, integral values in [0, 255].
        sigma (torch.Tensor): ``(B,)`` standard deviations (PIL's ``radius``), e.g. in [0.1, 2.0].

    Returns:
        torch.Tensor: The blurred batch, same shape, float32 integral values in [0, 255].
    """
    _check_inputs(img, sigma)
    if img.numel() == 0:
        return img.clone()
    batch, channels, height, width = img.shape
    device = img.device
    box = _box_params(sigma.to(device))
    img = img.contiguous()
    out = torch.empty_like(img)
    chunk, rows_w, rows_h, scan_rows = _schedule(img.shape, device)
    along_w = _AxisBlur(width, channels * height, box, _FLOAT_INT_BITS, chunk, rows_w, scan_rows)
    along_h = _AxisBlur(height, channels * width, box, -_CENTRE, chunk, rows_h, scan_rows)
    # Per chunk: the passes along the width on (W, n, C * H) (a 2D transpose of the (n * C * H, W) image, read as the
    # int32 bits of 2**23 + x), then along the height on (H, n, C, W).
    work = (
        torch.empty(chunk * channels * height * width, dtype=img.dtype, device=device),
        torch.empty(chunk * channels * height * width, dtype=torch.int32, device=device),
    )
    for b0 in range(0, batch, chunk):
        _blur_chunk(img, out, b0, min(b0 + chunk, batch), along_w, along_h, work)
    return out


def _blur_chunk(
    img: torch.Tensor,
    out: torch.Tensor,
    b0: int,
    b1: int,
    along_w: _AxisBlur,
    along_h: _AxisBlur,
    work: Tuple[torch.Tensor, torch.Tensor],
) -> None:
    """Blur samples ``b0 .. b1 - 1`` of the contiguous ``img`` into ``out``, with the flat work buffers ``work``."""
    n, channels, height, width = img[b0:b1].shape
    size = n * channels * height * width
    rows_w = work[0][:size].view(width, -1)
    rows_w.copy_(img[b0:b1].view(-1, width).t()).add_(_FLOAT_INT_BASE)
    rows_w = rows_w.view(torch.int32).view(width, n, channels * height)
    rows_h = work[1][:size].view(height, n, channels, width)
    out_rows = out[b0:b1].permute(2, 0, 1, 3)

    def write_w(i0: int, i1: int, rows: torch.Tensor) -> None:
        # (W, n, C, H) rows -> (H, n, C, W)
        rows_h[..., i0:i1].copy_(rows.view(i1 - i0, n, channels, height).permute(3, 1, 2, 0))

    def write_h(i0: int, i1: int, rows: torch.Tensor) -> None:
        out_rows[i0:i1].copy_(rows.add_(_CENTRE).view(i1 - i0, n, channels, width))

    along_w(b0, b1, lambda k0, k1: rows_w[k0:k1], write_w)
    rows_h = rows_h.view(height, n, channels * width)
    along_h(b0, b1, lambda k0, k1: rows_h[k0:k1], write_h)
