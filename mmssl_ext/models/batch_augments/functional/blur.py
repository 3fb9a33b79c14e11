# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched Gaussian blur, bit-exact to PIL's ``ImageFilter.GaussianBlur`` (mmpretrain's ``GaussianBlur``).

PIL approximates a Gaussian of standard deviation ``sigma`` by 3 passes of an "extended box blur" along the rows,
then 3 passes along the columns, rounding to uint8 after every pass (``ImagingGaussianBlur`` / ``ImagingBoxBlur``
in ``BoxBlur.c``). The box of each pass is in :mod:`.blur_params`, the passes along one axis (exact in int32
arithmetic) in :mod:`.blur_axis`, with their prefix sums scheduled by :mod:`.blur_scan`.

The data is laid out with the blurred axis first, ``(L, n, M)`` (the passes along the width on the transposed image,
then those along the height), so that the prefix sums are row additions and the per-sample offsets are row gathers.
On the CPU the batch is processed in chunks of samples (and large images in blocks of rows) sized for the cache, each
block of a pass's output feeding the next pass at once; on other devices the whole batch is one chunk and one block.
"""

from typing import Tuple

import torch

from .blur_axis import _CENTRE, _AxisBlur
from .blur_params import _box_params

__all__ = ['gaussian_blur']

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
