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
any radius (even one wider than the image) is handled. The rounding offset is folded into the prefix sums (``c``
added to every term, with ``c (2 r + 1) = offset`` modulo ``2**32``; ``2 r + 1`` is odd, hence invertible), and the
pixels are stored centred (``x - 128``) between passes, so that the true result of every pass,
``(sum + 2**23) >> 24 - 128``, lies in the int32 range and comes out of an arithmetic shift.

The data is laid out with the blurred axis first, ``(L, B, M)`` (one pass along the width on the transposed image,
then one along the height), so that the prefix sums are row additions and the per-sample offsets are row gathers.
On the CPU the rows are processed in blocks that stay in the cache: each block of a pass's output is computed and
immediately fed into the next pass, so only the ``X``/``Y`` sequences travel through memory.
"""

from typing import Callable, Tuple

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
# Elements of one block of rows on the CPU: the few block-sized int32 temporaries then fit in the L2 cache.
_CPU_BLOCK_ELEMENTS = 1 << 16


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


def _inverse_mod_2_32(odd: torch.Tensor) -> torch.Tensor:
    """The int32 inverse modulo ``2**32`` of an odd int32 tensor (Newton's iteration, 3 -> 48 correct bits)."""
    inverse = odd.clone()  # odd * odd = 1 modulo 8
    for _ in range(4):
        inverse = inverse * (2 - odd * inverse)
    return inverse


def _to_int32(value: torch.Tensor) -> torch.Tensor:
    """Reduce an int64 tensor modulo ``2**32`` into the int32 range (two's complement)."""
    return (value & 0xFFFFFFFF).sub_(((value >> 31) & 1) << 32).to(torch.int32)


class _AxisBlur:
    """The 3 box passes along dim 0 of ``(L, B, M)`` int32 data, per-sample ``(r, ww, fw)``.

    Conventions (all int32 modulo ``2**32``): ``u[k] = ww y[k] + c``, ``W[k] = u[0] + ... + u[k]``,
    ``X[k] = W[k] + fw y[k + 1]`` (``y[L] = y[L - 1]``) stored at row ``k + 1`` of ``x_buf`` and
    ``Y[k] = W[k] - fw y[k]`` stored at row ``k + 1`` of ``y_buf`` (``Y[-1] = -fw y[0]`` at row 0). With ``hi =
    min(i + r, L - 1)``, ``lo = max(i - r - 1, -1)``, ``tail = i + r - hi`` and ``head = lo - (i - r - 1)``, pixel
    ``i`` of the pass is ``X[hi] - Y[lo] + tail (ww y[L - 1] + c) + head (ww y[0] + c)``: the weighted window sum
    with replicated edges plus ``(2 r + 1) c = offset``.

    The first pass reads the pixels ``x`` stored as ``x + bias``, the others read them centred (``x - 128``); every
    pass writes them centred. A bias ``e`` adds ``e (n ww + 2 fw) = e (2**24 - deficit)`` to the window sum, which the
    offset takes back.
    """

    def __init__(
        self,
        length: int,
        batch: int,
        cols: int,
        box: Tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        bias: int,
        block_rows: int,
        scan_rows: bool,
    ) -> None:
        r, ww, fw = box
        device = r.device
        self.length, self.batch, self.cols = length, batch, cols
        pos = torch.arange(length, device=device).view(length, 1)
        sample = torch.arange(batch, device=device).view(1, batch)
        radius = r.view(1, batch)
        hi = (pos + radius).clamp(max=length - 1)
        lo = (pos - radius - 1).clamp(min=-1)
        self.x_index = ((hi + 1) * batch + sample).view(-1)
        self.y_index = ((lo + 1) * batch + sample).view(-1)
        self.tail = _to_int32(pos + radius - hi).view(length, batch, 1)
        self.head = _to_int32(lo - (pos - radius - 1)).view(length, batch, 1)

        rows = self.block_rows = max(1, min(block_rows, length))
        weight = _ONE - (2 * r + 1) * ww - 2 * fw  # the deficit, 0 or 1
        weight = _ONE - weight
        inverse = _inverse_mod_2_32(_to_int32(2 * r + 1))
        # The output's true value, (sum + 2**23) - 2**31 with sum over the x, is the computed sum + offset.
        self.shift = []
        for p in range(_PASSES):
            offset = _to_int32(_HALF + (1 << 31) - (bias if p == 0 else -_CENTRE) * weight)
            self.shift.append((offset * inverse).view(1, batch, 1).expand(rows, batch, cols).contiguous())
        self.ww = _to_int32(ww).view(1, batch, 1)
        self.fw = _to_int32(fw).view(1, batch, 1)
        self.neg_fw = -self.fw

        int32 = dict(dtype=torch.int32, device=device)
        self.bufs = [
            (torch.empty(length + 1, batch, cols, **int32), torch.empty(length + 1, batch, cols, **int32))
            for _ in range(2)
        ]
        self.sums = torch.empty(rows, batch, cols, **int32)
        self.sum_rows = self.sums.unbind(0)
        self.gathered = torch.empty(2, rows * batch, cols, **int32)
        self.carry = torch.empty(batch, cols, **int32)
        self.first = torch.empty(_PASSES, 1, batch, cols, **int32)
        self.last = torch.empty(_PASSES, 1, batch, cols, **int32)
        self.scan_rows = scan_rows and rows > 1

    def _prefix(self, y: torch.Tensor, k0: int, p: int) -> None:
        """Build rows ``k0 .. k0 + len(y) - 1`` of pass ``p``'s ``X``, ``Y`` from the input rows ``y``."""
        n, length = y.shape[0], self.length
        x_buf, y_buf = self.bufs[p % 2]
        sums = self.sums[:n]
        torch.addcmul(self.shift[p][:n], y, self.ww, out=sums)
        if k0 == 0:
            self.first[p].copy_(sums[:1])
            torch.mul(y[:1], self.neg_fw, out=y_buf[:1])
        else:
            sums[0].add_(self.carry)
            torch.addcmul(self.carry, y[0], self.fw[0], out=x_buf[k0])
        if self.scan_rows:
            rows = self.sum_rows
            for k in range(1, n):
                rows[k].add_(rows[k - 1])
        elif n > 1:
            sums.cumsum_(0)
        torch.addcmul(sums[:-1], y[1:], self.fw, out=x_buf[k0 + 1 : k0 + n])
        torch.addcmul(sums, y, self.neg_fw, out=y_buf[k0 + 1 : k0 + n + 1])
        if k0 + n == length:
            torch.addcmul(sums[-1:], y[-1:], self.fw, out=x_buf[length:])
            torch.addcmul(self.shift[p][:1], y[-1:], self.ww, out=self.last[p])
        else:
            self.carry.copy_(sums[-1])

    def _output(self, i0: int, i1: int, p: int) -> torch.Tensor:
        """Rows ``i0 .. i1 - 1`` of pass ``p``'s centred output (a view of a temporary), ``(i1 - i0, B, M)`` int32."""
        x_buf, y_buf = self.bufs[p % 2]
        batch = self.batch
        n = (i1 - i0) * batch
        total, other = self.gathered[0, :n], self.gathered[1, :n]
        torch.index_select(x_buf.view(-1, self.cols), 0, self.x_index[i0 * batch : i1 * batch], out=total)
        torch.index_select(y_buf.view(-1, self.cols), 0, self.y_index[i0 * batch : i1 * batch], out=other)
        total = total.sub_(other).view(i1 - i0, batch, self.cols)
        total.addcmul_(self.tail[i0:i1], self.last[p]).addcmul_(self.head[i0:i1], self.first[p])
        return total.bitwise_right_shift_(_ONE_BITS)

    def __call__(
        self, read: Callable[[int, int], torch.Tensor], write: Callable[[int, int, torch.Tensor], None]
    ) -> None:
        """Run the passes: ``read(k0, k1)`` gives input rows ``k0 .. k1 - 1``, ``write(i0, i1, rows)`` takes output."""
        rows = self.block_rows
        blocks = [(k, min(k + rows, self.length)) for k in range(0, self.length, rows)]
        for k0, k1 in blocks:
            self._prefix(read(k0, k1), k0, 0)
        for p in range(_PASSES):
            for i0, i1 in blocks:
                out = self._output(i0, i1, p)
                if p < _PASSES - 1:
                    self._prefix(out, i0, p + 1)
                else:
                    write(i0, i1, out)


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
    on_cpu = device.type == 'cpu'

    def axis(length: int, cols: int, bias: int) -> _AxisBlur:
        rows = max(1, _CPU_BLOCK_ELEMENTS // (batch * cols)) if on_cpu else length
        return _AxisBlur(length, batch, cols, box, bias, rows, scan_rows=on_cpu)

    # Passes along the width on (W, B, C * H): one 2D transpose of the (B * C * H, W) image, read as int32 bits.
    by_width = torch.empty(width, batch * channels * height, dtype=img.dtype, device=device)
    by_width.copy_(img.contiguous().view(-1, width).t()).add_(_FLOAT_INT_BASE)
    by_width = by_width.view(torch.int32).view(width, batch, channels * height)
    # The width passes' centred output, transposed to (B, C, H, W) for the passes along the height.
    mid = torch.empty(width, batch * channels * height, dtype=torch.int32, device=device)

    def write_w(i0: int, i1: int, rows: torch.Tensor) -> None:
        mid[i0:i1].copy_(rows.view(i1 - i0, -1))

    axis(width, channels * height, _FLOAT_INT_BITS)(lambda k0, k1: by_width[k0:k1], write_w)
    by_height = torch.empty(batch * channels * height, width, dtype=torch.int32, device=device)
    by_height.copy_(mid.t())
    by_height = by_height.view(batch, channels, height, width).permute(2, 0, 1, 3)
    block = torch.empty(height, batch, channels, width, dtype=torch.int32, device=device)
    out = torch.empty(batch, channels, height, width, dtype=img.dtype, device=device)
    out_rows = out.permute(2, 0, 1, 3)

    def read_h(k0: int, k1: int) -> torch.Tensor:
        return block[k0:k1].copy_(by_height[k0:k1]).view(k1 - k0, batch, channels * width)

    def write_h(i0: int, i1: int, rows: torch.Tensor) -> None:
        # x - 128 -> the float32 bits of 2**23 + x, minus 2**23.
        bits = rows.add_(_FLOAT_INT_BITS + _CENTRE).view(torch.float32).view(i1 - i0, batch, channels, width)
        torch.sub(bits, _FLOAT_INT_BASE, out=out_rows[i0:i1])

    axis(height, channels * width, -_CENTRE)(read_h, write_h)
    return out
